"""Simulated students for every lesson: the fixture plus whatever lives in notebooks/.

For each lesson: the reference solution gets full marks, the untouched release gets zero, and
with a spec in tests/student_sims/<lesson>.py the partial submission gets its exact score. The
reference is graded with the release gate's mutant trials (autograder/mutants/): every mutant
must lose points of its exercise, and each named mistake exactly its ``lost`` points, with its
hint in a failing test's message and its self-check's [FAIL] line. Feedback never shows a hidden
test line. Format of the specs: tests/student_sims/README.md.
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
from autograder.mutants import CATALOGUES, catalogue, mutants_of, read_results, write_plan
from course_utils.own_code import top_level_names

pytestmark = pytest.mark.slow

TESTS = Path(__file__).parent
SIMS = TESTS / "student_sims"
LESSON_ROOTS = {"00-fixture": TESTS / "fixtures" / "notebooks"}
LESSON_ROOTS.update({lesson: REPO_ROOT / "notebooks" for lesson in Course.at(REPO_ROOT).lessons()})
MUTANT_DIRS = {"00-fixture": TESTS / "fixtures" / "mutants"}


def _mutants_dir(lesson):
    return MUTANT_DIRS.get(lesson, CATALOGUES)


def _cases(lesson):
    return ["sim-reference", "sim-unanswered"] + (["sim-partial"] if (SIMS / f"{lesson}.py").exists() else [])


PARAMS = [(lesson, case) for lesson in sorted(LESSON_ROOTS) for case in _cases(lesson)]
MISTAKE_PARAMS = [(lesson, number) for lesson in sorted(LESSON_ROOTS)
                  for number in range(1, len(catalogue(lesson, _mutants_dir(lesson))[0]) + 1)]


@pytest.fixture(scope="module")
def graded_lessons(tmp_path_factory):
    """Lazily grade each lesson's simulated students once, the reference with every mutant of
    the lesson tried on its exercise: {lesson: (course, expected, outcomes, mutant results)}."""
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
            trials = mutants_of(course.source_notebook(lesson), lesson, _mutants_dir(lesson))
            plan, results = write_plan(root, "sim-reference", trials)
            course.mutant_trials = str(plan)
            outcomes, _ = autograde(course, lesson, ["sim-reference"], say=lambda line: None)
            course.mutant_trials = None
            others, _ = autograde(course, lesson, [s for s in expected if s != "sim-reference"], workers=2,
                                  say=lambda line: None)
            feedback(course, [lesson], say=lambda line: None)
            cache[lesson] = (course, expected, {o.student: o for o in outcomes + others},
                             read_results(results, trials))
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
    course, expected, outcomes, _ = graded_lessons(lesson)
    outcome = outcomes[case]
    assert outcome.problem is None, outcome.line()
    assert outcome.auto_max > 0
    score = expected[case]
    assert outcome.score == (outcome.auto_max if score is None else score), outcome.line()
    text = _feedback_text(course, case, lesson)
    leaked = [line for line in _hidden_lines(course, lesson) if line in text]
    assert leaked == [], f"hidden test lines in the feedback of {case}: {leaked}"


@pytest.mark.parametrize("lesson", sorted(LESSON_ROOTS))
def test_the_release_gate_kills_every_mutant(graded_lessons, lesson):
    """Every mutant of the lesson (its named mistakes, the generic mutations of each answer, the
    answer written in an added cell) loses points of its own exercise."""
    course, _, _, results = graded_lessons(lesson)
    assert len(results) == len(mutants_of(course.source_notebook(lesson), lesson, _mutants_dir(lesson)))
    survivors = [f"{m['cell']}/{m['name']}: {m['intent']}" for m in results if not m["killed"]]
    killed = len(results) - len(survivors)
    print(f"{lesson}: mutants killed {killed}/{len(results)}")
    assert survivors == [], f"{lesson}: mutants that keep their exercise's points: {survivors}"


@pytest.mark.parametrize("lesson,number", MISTAKE_PARAMS,
                         ids=[f"{lesson}::mistake-{n}" for lesson, n in MISTAKE_PARAMS])
def test_each_named_mistake_costs_its_exercise_exactly(graded_lessons, lesson, number):
    """A named mistake loses exactly its ``lost`` points, all of its own exercise, with its hint
    in a failing test's message and its self-check's [FAIL] line."""
    _, _, _, results = graded_lessons(lesson)
    mistake = catalogue(lesson, _mutants_dir(lesson))[0][number - 1]
    result = next(m for m in results if m["name"] == f"mistake-{number}")
    assert result["killed"], f"{mistake['intent']}: kept its points"
    assert sum(result["lost"].values()) == mistake["lost"], (mistake["intent"], result["lost"])
    if mistake.get("hint"):
        assert any(mistake["hint"] in message for message in result["messages"]), \
            f"hint {mistake['hint']!r} not in {result['messages']}"
    if mistake.get("self_check"):
        assert any(line.startswith("[FAIL]") and mistake["self_check"] in line for line in result["checks"]), \
            f"no [FAIL] line with {mistake['self_check']!r}: {result['checks']}"


@pytest.mark.parametrize("lesson", sorted(LESSON_ROOTS))
def test_self_checks_see_every_mutant_the_tests_kill(graded_lessons, lesson):
    """Where a self-check runs between an answer and its tests, it fails each mutant the tests
    kill (one verdict, shared by both), except where the catalogue says no self-check sees it."""
    _, _, _, results = graded_lessons(lesson)
    unseen = [f"{m['cell']}/{m['name']}: {m['checks']}" for m in results
              if m["killed"] and m["checks"] and ("self_check" not in m or m["self_check"] is not None)
              and not any(line.startswith(("[FAIL]", "[TODO]")) for line in m["checks"])]
    assert unseen == [], f"{lesson}: the self-check said [PASS] to mutants the tests kill: {unseen}"


@pytest.mark.parametrize("spec_file", sorted(SIMS.glob("*.py")), ids=lambda p: p.stem)
def test_spec_files_are_well_formed(spec_file):
    spec = sim.load_spec(spec_file)
    assert spec_file.stem in LESSON_ROOTS, f"{spec_file.name} names no lesson"
    root = LESSON_ROOTS[spec_file.stem]
    source = nbformat.read(str(Course.at(root.parent, root).source_notebook(spec_file.stem)), as_version=4)
    answers = set(sim.answer_cells(source))
    named = set(spec["PARTIAL"].get("solutions", [])) | set(spec["PARTIAL"].get("replace", {}))
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
    course, _, _, _ = graded_lessons(lesson)
    declared = {}
    spec_file = SIMS / f"{lesson}.py"
    if spec_file.exists() and case == "sim-partial":
        declared = sim.load_spec(spec_file)["PARTIAL"].get("self_check_disagrees", {})
    autograded = course.autograded_notebook(case, lesson)
    problems = self_check_disagreements(autograded, course.source_notebook(lesson), declared)
    assert problems == [], f"{case}: " + "; ".join(problems)
    seen = {g for line, verdict, cells, lost in self_check_verdicts(autograded, course.source_notebook(lesson))
            if verdict == "PASS" for g in lost}
    for cell, why in declared.items():
        assert cell in seen, f"{case}: the declared disagreement on {cell} ({why}) no longer occurs"


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
