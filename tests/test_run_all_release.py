"""Run All on every released lesson, the way JupyterLab does it, reaches the last cell.

JupyterLab's Run All stops at the first cell that raises, unless the cell carries the
``raises-exception`` tag; nbclient with ``allow_errors=False`` applies the same rule. In an
unanswered release every exercise must say ``[TODO]`` and the notebook must run to the end.
"""
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.authoring.simulate import fill_with_solution, reference_answers, replace_source
from autograder.authoring.simulate import released as released_nb
from autograder.course import REPO_ROOT, Course
from autograder.instructor.release import release
from autograder.lab.validate import problems
from autograder.mutants import catalogue
from autograder.preprocessors.tag_cells_that_raise import RAISES
from course_utils.unanswered import UNANSWERED

pytestmark = pytest.mark.slow

LESSONS = Course.at(REPO_ROOT).lessons()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("run-all")
    (root / "notebooks").symlink_to(REPO_ROOT / "notebooks", target_is_directory=True)
    course = Course.at(root)
    assert release(course, LESSONS, check=False, say=lambda line: None) == []
    return course


def _run_all(path, monkeypatch):
    """Execute like JupyterLab's Run All: stop at a cell that raises without the tag."""
    monkeypatch.setenv("COURSE_QUICK", "1")
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _printed(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.parametrize("lesson", LESSONS)
def test_run_all_reaches_the_last_cell(released, lesson, monkeypatch):
    nb = _run_all(released.release_notebook(lesson), monkeypatch)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code), "a code cell did not run"
    for cell in code:
        meta = cell.metadata.get("nbgrader", {})
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            assert RAISES in cell.metadata.get("tags", []), f"untagged cell raised: {cell.source[:80]}"
            assert meta.get("grade") or meta.get("solution"), "only exercise cells may raise"
            assert errors[0].ename == "NotImplementedError", f"{meta.get('grade_id')}: {errors[0].ename}"
            assert errors[0].traceback in ([UNANSWERED], [f"NotImplementedError: {errors[0].evalue}"]), \
                f"{meta.get('grade_id')}: an unanswered exercise shows a traceback"
        if meta.get("grade_id", "").endswith("-check"):
            assert "[TODO]" in _printed(cell), f"{meta['grade_id']} does not say [TODO]"


@pytest.mark.parametrize("lesson", LESSONS)
def test_release_tags_exactly_the_cells_that_raise(released, lesson):
    nb = nbformat.read(str(released.release_notebook(lesson)), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        tagged = RAISES in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            assert tagged, f"test cell {meta.get('grade_id')} is not tagged {RAISES}"
        elif tagged:
            assert meta.get("solution") and "raise NotImplementedError" in cell.source


def _mistake_rounds(lesson):
    """The lesson's named mistakes in rounds: round k holds the k-th mistake of every exercise
    that has one, so each mistake is tried once, in as few runs as the longest list."""
    by_cell = {}
    for mistake in catalogue(lesson)[0]:
        by_cell.setdefault(mistake["cell"], []).append(mistake)
    return [[mistakes[k] for mistakes in by_cell.values() if k < len(mistakes)]
            for k in range(max(map(len, by_cell.values()), default=0))]


ROUNDS = [(lesson, k) for lesson in LESSONS for k in range(len(_mistake_rounds(lesson)))]


@pytest.mark.parametrize("lesson, round_number", ROUNDS)
def test_run_all_survives_wrong_answers(released, lesson, round_number, monkeypatch):
    """Every answer filled in, a round of the catalogue's mistakes among them: Run All reaches
    the last cell, and only the tests of the exercises answered wrongly raise."""
    nb = released_nb(released, lesson)
    fill_with_solution(nb, reference_answers(released, lesson))
    wrong = {mistake["cell"]: mistake for mistake in _mistake_rounds(lesson)[round_number]}
    for cell, mistake in wrong.items():
        replace_source(nb, cell, mistake["source"])
    path = released.release_notebook(lesson).with_name(f"mistakes-{round_number}.ipynb")
    nbformat.write(nb, str(path))
    try:
        nb = _run_all(path, monkeypatch)
    except CellExecutionError as error:
        pytest.fail(f"{lesson} with {[m['intent'] for m in wrong.values()]}: Run All stopped: {error}"[:3000])
    finally:
        path.unlink()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code), "a code cell did not run"
    for cell in code:
        if any(o.output_type == "error" for o in cell.outputs):
            meta = cell.metadata.get("nbgrader", {})
            assert meta.get("grade") and not meta.get("solution"), f"{meta.get('grade_id')} raised"
    reported = _validate_reports(nb)
    for cell_id, mistake in wrong.items():  # Validate agrees with the grade: each one is reported
        assert reported.get(cell_id), f"{lesson}: Validate says nothing of {mistake['intent']!r}"


def _validate_reports(nb):
    """{answer cell: what Validate reports for it or for the cells up to the next answer}."""
    reports, answer = {}, None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answer = meta.get("grade_id")
        raised = [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]
        if answer and cell.cell_type == "code" and (raised or problems(cell)):
            reports.setdefault(answer, []).extend(raised + problems(cell))
    return reports


def test_a_source_notebook_has_no_raises_exception_tags():
    """Tags are added at release; in the source they would let nbval accept real errors."""
    for lesson in LESSONS:
        nb = nbformat.read(str(Course.at(REPO_ROOT).source_notebook(lesson)), as_version=4)
        assert not any(RAISES in cell.metadata.get("tags", []) for cell in nb.cells), lesson



@pytest.mark.parametrize("lesson", LESSONS)
def test_every_code_cell_is_an_answer_or_locked(lesson):
    """The grader restores locked cells from the release, so only answers and cells a student
    added can hold their code (what expect_own_code looks at); see docs/authoring.md."""
    nb = nbformat.read(str(Course.at(REPO_ROOT).source_notebook(lesson)), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            meta = cell.metadata.get("nbgrader", {})
            assert meta.get("solution") or meta.get("locked"), f"{lesson}: unlocked cell {cell.id}"
