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
from course_utils.own_code import top_level_names

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
        except Exception:  # noqa: BLE001 - reported by test_spec_files_are_well_formed
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


CHECK_LINE = re.compile(r"^\[(PASS|FAIL|TODO)\] (Exercise (\d+)[^:]*?)(?::|$)")


def _graded_cells(notebook):
    """{grade_id: (source, lost points)} of an autograded notebook's graded code cells."""
    from nbgrader import utils

    cells = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and utils.is_grade(cell):
            score, max_score = utils.determine_grade(cell)
            cells[cell.metadata.nbgrader["grade_id"]] = (cell.source, score is not None and score < max_score)
    return cells


def _cells_of_check(head, sources, answers, known=None):
    """The graded cells an exercise's self-check speaks for: of its exercise's cells (``exN-``)
    those that use an answer it names, else the cells that call one of those answers (lesson 3
    numbers its checks and its cells differently). A line that names no answer (``[TODO]
    Exercise 7 and Exercise 8 not done yet``) speaks for every exercise it numbers: the cells
    another line of the notebook tied to that number (``known``), else ``exN-``."""
    label = head.split(": ")[0]
    numbers = re.findall(r"Exercise (\d+)", label)
    named = set(re.findall(r"\b([A-Za-z_]\w*)\b", head.split(": ", 2)[1])) & set(answers) \
        if ": " in head and len(numbers) == 1 else set()

    def uses(source, direct=False):
        pattern = r"student\.{0}\b" if direct else r"(student\.{0}\b|[\"']{0}[\"'])"
        return any(re.search(pattern.format(name), source) for name in named)

    by_number = {grade_id for grade_id in sources for n in numbers if grade_id.startswith(f"ex{n}-")}
    if named:
        return {g for g in by_number if uses(sources[g])} or \
            {g for g, source in sources.items() if uses(source, direct=True)} or by_number
    return {g for n in numbers for g in (known or {}).get(n, ())} or by_number


def self_check_verdicts(autograded, source_notebook):
    """(line, verdict, cells it speaks for, cells of those that lost points) for each self-check
    line the kernel printed in an autograded notebook's lesson cells."""

    source_nb = nbformat.read(str(source_notebook), as_version=4)
    source = {grade_id: text for grade_id, (text, _) in _graded_cells(source_nb).items()}
    answers = {name for cell in source_nb.cells if cell.cell_type == "code"
               and cell.metadata.get("nbgrader", {}).get("solution") for name in top_level_names(cell.source)}
    autograded_nb = nbformat.read(str(autograded), as_version=4)
    graded = _graded_cells(autograded_nb)
    lines = [line.strip() for cell in autograded_nb.cells
             if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade")
             for output in cell.get("outputs", []) if output.get("output_type") == "stream"
             for line in output.get("text", "").splitlines() if CHECK_LINE.match(line.strip())]
    known = {}
    for line in lines:  # the exercises the self-checks name: their numbers' cells
        head = line[len(CHECK_LINE.match(line).group(1)) + 3:]
        if ": " in head and len(re.findall(r"Exercise (\d+)", head.split(": ")[0])) == 1:
            known.setdefault(CHECK_LINE.match(line).group(3), set()).update(
                _cells_of_check(head, source, answers))
    for line in lines:
        verdict = CHECK_LINE.match(line).group(1)
        cells = _cells_of_check(line[len(verdict) + 3:], source, answers, known)
        yield line, verdict, cells, {g for g in cells if graded.get(g, ("", False))[1]}


def self_check_disagreements(autograded, source_notebook, expected=()):
    """Lines where an exercise's self-check and its hidden test judged one answer differently:
    a [FAIL] or [TODO] while the test cells kept their points, or a [PASS] while some lost
    points, except on the cells ``expected`` names (a disagreement a spec declares)."""
    problems = []
    for line, verdict, cells, lost in self_check_verdicts(autograded, source_notebook):
        if not cells:
            problems.append(f"no graded cell found for the self-check {line!r}")
        elif verdict in ("FAIL", "TODO") and not lost:
            problems.append(f"{line!r}, but {sorted(cells)} kept their points")
        elif verdict == "PASS" and lost - set(expected):
            problems.append(f"{line!r}, but {sorted(lost)} lost points")
    return problems


@pytest.mark.parametrize("lesson,case", PARAMS, ids=[f"{lesson}::{c}" for lesson, c in PARAMS])
def test_self_check_and_hidden_test_agree(graded_lessons, lesson, case):
    """Every self-check agrees with its hidden tests on every simulated student, except where
    the spec declares a disagreement (``self_check_disagrees``: {test cell: why}); a declared
    one must still occur, so that it is removed from the spec once it is fixed."""
    course, expected, _ = graded_lessons(lesson)
    declared = {}
    spec_file = SIMS / f"{lesson}.py"
    if spec_file.exists() and case != "sim-reference" and case != "sim-unanswered":
        spec = sim.load_spec(spec_file)
        entry = spec["PARTIAL"] if case == "sim-partial" else spec["MISTAKES"][int(case.rsplit("-", 1)[1]) - 1]
        declared = entry.get("self_check_disagrees", {})
        if case.startswith("sim-mistake-") and entry["self_check"] is None:
            declared = {**declared, **dict.fromkeys(
                _cells_of_check(f"Exercise 0: {' '.join(top_level_names(entry['source']))}",
                                _sources(course, lesson), top_level_names(entry["source"])),
                "the spec says no self-check sees it")}
    autograded = course.autograded_notebook(case, lesson)
    problems = self_check_disagreements(autograded, course.source_notebook(lesson), declared)
    assert problems == [], f"{case}: " + "; ".join(problems)
    seen = {g for line, verdict, cells, lost in self_check_verdicts(autograded, course.source_notebook(lesson))
            if verdict == "PASS" for g in lost}
    for cell, why in spec_declared(declared):
        assert cell in seen, f"{case}: the declared disagreement on {cell} ({why}) no longer occurs"


def spec_declared(declared):
    return [(cell, why) for cell, why in declared.items() if why != "the spec says no self-check sees it"]


def _sources(course, lesson):
    return {g: text for g, (text, _) in _graded_cells(
        nbformat.read(str(course.source_notebook(lesson)), as_version=4)).items()}


def test_the_agreement_check_finds_a_disagreement(tmp_path):
    """A self-check that fails an answer its hidden test accepts, and one that passes an
    answer its hidden test fails, are both reported."""
    def notebook(check_line, lost):
        nb = nbformat.v4.new_notebook()
        check = nbformat.v4.new_code_cell("self_check()")
        check.outputs = [nbformat.v4.new_output("stream", name="stdout", text=check_line + "\n")]
        test = nbformat.v4.new_code_cell("student.square(2)")
        test.metadata["nbgrader"] = {"grade": True, "grade_id": "ex1-square-tests", "points": 2,
                                     "solution": False, "locked": True}
        if lost:
            test.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="no",
                                                   traceback=[])]
        nb.cells = [check, test]
        path = tmp_path / f"nb-{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nb, str(path))
        return path

    source = notebook("", False)
    assert self_check_disagreements(notebook("[PASS] Exercise 1: square", False), source) == []
    assert self_check_disagreements(notebook("[FAIL] Exercise 1: square: wrong", True), source) == []
    assert self_check_disagreements(notebook("[FAIL] Exercise 1: square: wrong", False), source)
    assert self_check_disagreements(notebook("[PASS] Exercise 1: square", True), source)
    assert self_check_disagreements(notebook("[PASS] Exercise 1: square", True), source,
                                    expected=["ex1-square-tests"]) == []
