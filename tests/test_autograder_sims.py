"""Simulated students for every lesson: the fixture plus whatever lives in notebooks/.

For each lesson: the reference solution gets full marks, the untouched release gets zero;
with a spec in tests/student_sims/<lesson>.py also the partial submission gets its exact
score and each common mistake its points plus its hint in the feedback. Feedback never
shows a hidden test line. Format of the specs: tests/student_sims/README.md.
"""
import html
import re
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import simulate as sim
from autograder.course import REPO_ROOT, Course
from autograder.grading.batch import autograde
from autograder.instructor.feedback import feedback
from autograder.instructor.release import release

pytestmark = pytest.mark.slow

TESTS = Path(__file__).parent
SIMS = TESTS / "student_sims"
LESSON_ROOTS = {"00-fixture": TESTS / "fixtures" / "notebooks"}
LESSON_ROOTS.update({lesson: REPO_ROOT / "notebooks" for lesson in Course.at(REPO_ROOT).lessons()})


def _cases(lesson):
    spec_file = SIMS / f"{lesson}.py"
    cases = ["sim-reference", "sim-unanswered"]
    if spec_file.exists():
        try:
            spec = sim.load_spec(spec_file)
        except Exception:  # reported by test_spec_files_are_well_formed
            return cases
        cases += ["sim-partial"] + [f"sim-mistake-{n}" for n in range(1, len(spec["MISTAKES"]) + 1)]
    return cases


PARAMS = [(lesson, case) for lesson in sorted(LESSON_ROOTS) for case in _cases(lesson)]


@pytest.fixture(scope="module")
def graded_lessons(tmp_path_factory):
    """Lazily grade each lesson's simulated students once: {lesson: (course, expected, outcomes)}."""
    cache = {}

    def grade(lesson):
        if lesson not in cache:
            root = tmp_path_factory.mktemp(lesson)
            (root / "notebooks").mkdir()
            (root / "notebooks" / lesson).symlink_to(LESSON_ROOTS[lesson] / lesson)
            course = Course.at(root)
            assert release(course, [lesson], check=False, say=lambda line: None) == []
            spec_file = SIMS / f"{lesson}.py"
            spec = sim.load_spec(spec_file) if spec_file.exists() else None
            expected = sim.simulated_students(course, lesson, spec)
            outcomes, _ = autograde(course, lesson, workers=2, say=lambda line: None)
            feedback(course, [lesson], say=lambda line: None)
            cache[lesson] = (course, expected, {o.student: o for o in outcomes})
        return cache[lesson]

    return grade


def _feedback_text(course, student, lesson):
    text = re.sub(r"<[^>]+>", "", course.feedback_html(student, lesson).read_text())
    return html.unescape(text)


def _hidden_lines(course, lesson):
    """Lines (8+ characters) only found inside hidden test regions of the source notebook."""
    source = nbformat.read(str(course.source_notebook(lesson)), as_version=4)
    released = nbformat.read(str(course.release_notebook(lesson)), as_version=4)
    released_text = "\n".join(cell.source for cell in released.cells)
    hidden, inside = set(), False
    for cell in source.cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= 8 and line.strip() not in released_text:
                hidden.add(line.strip())
    return hidden


def _printed_lines(notebook_path):
    """Every line the student's kernel printed in the cells that are not graded tests."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    return [line.strip() for cell in nb.cells if cell.cell_type == "code"
            and not cell.metadata.get("nbgrader", {}).get("grade")
            for output in cell.get("outputs", []) if output.get("output_type") == "stream"
            for line in output.get("text", "").splitlines()]


@pytest.mark.parametrize("lesson,case", PARAMS, ids=[f"{lesson}::{c}" for lesson, c in PARAMS])
def test_simulated_student(graded_lessons, lesson, case):
    course, expected, outcomes = graded_lessons(lesson)
    outcome = outcomes[case]
    score, hint, self_check_line = expected[case]
    assert outcome.problem is None, outcome.line()
    assert outcome.auto_max > 0
    if score is None:
        assert outcome.score == outcome.auto_max, outcome.line()
    else:
        assert outcome.score == score, outcome.line()
    text = _feedback_text(course, case, lesson)
    if hint:
        assert hint in text, f"hint {hint!r} missing from the feedback of {case}"
    if self_check_line:
        printed = [line for line in _printed_lines(course.autograded_notebook(case, lesson))
                   if line.startswith(("[FAIL]", "[TODO]"))]
        assert any(line.startswith("[FAIL]") and self_check_line in line for line in printed), \
            f"no self-check printed a [FAIL] line with {self_check_line!r} for {case}: {printed}"
    leaked = [line for line in _hidden_lines(course, lesson) if line in text]
    assert leaked == [], f"hidden test lines in the feedback of {case}: {leaked}"


@pytest.mark.parametrize("spec_file", sorted(SIMS.glob("*.py")), ids=lambda p: p.stem)
def test_spec_files_are_well_formed(spec_file):
    spec = sim.load_spec(spec_file)
    assert spec_file.stem in LESSON_ROOTS, f"{spec_file.name} names no lesson"
    root = LESSON_ROOTS[spec_file.stem]
    source = nbformat.read(str(Course.at(root.parent, root).source_notebook(spec_file.stem)), as_version=4)
    answers = set(sim.answer_cells(source))
    named = set(spec["PARTIAL"].get("solutions", [])) | set(spec["PARTIAL"].get("replace", {}))
    named |= {mistake["cell"] for mistake in spec["MISTAKES"]}
    assert named <= answers, f"not answer cells: {sorted(named - answers)}"
