"""The notebook regression run holds on other CPU kernels and still catches real regressions.

Copies of lesson 1, each cut after the cell it needs, go through the course's regression run
(nbval with the tolerances cells declare: autograder/authoring/nbval_tolerant.py) in one batch, under
other CPU kernels than the stored outputs were made with: MKL's default branch instead of
COMPATIBLE, oneDNN's convolutions, PyTorch's widest vector kernels, one thread. The lesson
passes with its numbers moved in their last digits, as on another CPU (lesson 1 trains small
full-batch models that move little between kernels, so its learning rate is also nudged by 0.1%:
an exact comparison would fail); each planted regression fails, first at the cell that shows it.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import nbformat
import pytest

from autograder.kernel_env import own_user_state, without_reference_kernels
from course_utils.settings import REPO_ROOT

LESSON = REPO_ROOT / "notebooks" / "01-loss-functions" / "loss_functions.ipynb"
SANITIZE = REPO_ROOT / "tests" / "nbval_sanitize.cfg"
LAST_CELL = "lesson-f1a70ea0"  # the comparison of every loss (the lesson's section 8)


@dataclass(frozen=True)
class Plant:
    """A regression: ``old`` becomes ``new`` in the cell ``edit``; the cell ``shows`` is the
    first whose output must differ, in ``how``: "numbers" (beyond the cell's tolerance, the
    words as stored) or "text" (the words around them)."""
    name: str
    edit: str
    old: str
    new: str
    shows: str
    how: str


JITTER = Plant("learning rate 0.1% off", "lesson-541159b0", "lr=0.01", "lr=0.01001",
               shows=LAST_CELL, how="numbers")  # moves numbers within every cell's tolerance
PLANTS = [
    Plant("learning rate doubled", "lesson-541159b0", "lr=0.01", "lr=0.02",
          shows="lesson-4b17c5be", how="numbers"),
    Plant("nonlinearity dropped", "lesson-541159b0", "n_hidden_layers=2, output_activation",
          'n_hidden_layers=2, activation="identity", output_activation',
          shows="lesson-4b17c5be", how="numbers"),
    Plant("wrong printed label", "lesson-32c42d71", '"validation accuracy {fixed.val_acc',
          '"training accuracy {fixed.val_acc', shows="lesson-32c42d71", how="text"),
    Plant("table column of another metric", "lesson-93ea8a04", "shown = table.round(4)",
          'shown = table.round(4).assign(**{"validation loss": table["train loss"].round(4)})',
          shows="lesson-93ea8a04", how="numbers"),
    Plant("table column dropped", "lesson-93ea8a04", "shown = table.round(4)",
          'shown = table.round(4).drop(columns="train loss")',
          shows="lesson-93ea8a04", how="text"),
]


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _copy(folder, name, last, plant=None):
    """Lesson 1 up to the cell ``last``, with ``plant`` in it; returns code cell numbers."""
    nb = nbformat.read(LESSON, as_version=4)
    ids = [_grade_id(cell) for cell in nb.cells]
    nb.cells = nb.cells[:ids.index(last) + 1]
    if plant is not None:
        cell = nb.cells[ids.index(plant.edit)]
        assert cell.source.count(plant.old) == 1, f"{plant.name}: the lesson changed"
        cell.source = cell.source.replace(plant.old, plant.new)
    nbformat.write(nb, folder / f"{name}.ipynb")
    code = [_grade_id(cell) for cell in nb.cells if cell.cell_type == "code"]
    return {grade_id: number for number, grade_id in enumerate(code)}


def _run(folder, environ):
    """The regression run over every notebook in ``folder``; {notebook: {cell: result}}."""
    report = folder / "report.xml"
    (folder / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-p", "autograder.authoring.nbval_tolerant",
               "-p", "no:cacheprovider", "--nbval-tolerant", "--nbval-current-env",
               "--nbval-sanitize-with", str(SANITIZE), "-n", "2", "--dist", "loadfile",
               "-c", str(folder / "pytest.ini"), "--rootdir", str(folder),
               f"--junitxml={report}", "-o", "junit_logging=no", str(folder)]
    done = subprocess.run(command, cwd=folder, env=environ, capture_output=True, text=True,
                          timeout=900)
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    results = {}
    for case in ElementTree.parse(report).iter("testcase"):
        notebook = case.get("classname").removesuffix(".ipynb")
        failure = case.find("failure")
        moved = sum(int(p.get("value")) for p in case.iter("property")
                    if p.get("name") == "numbers_moved")
        cell = int(case.get("name").split()[-1])
        results.setdefault(notebook, {})[cell] = (
            failure.get("message", "") + (failure.text or "") if failure is not None else None,
            moved)
    return results


@pytest.fixture(scope="module")
def other_kernels_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("regression")
    cells = {"lesson": _copy(folder, "lesson", LAST_CELL, JITTER)}
    for number, plant in enumerate(PLANTS):
        cells[f"plant{number}"] = _copy(folder, f"plant{number}", plant.shows, plant)
    environ = without_reference_kernels(os.environ)
    environ.update(OMP_NUM_THREADS="1", MKL_CBWR="AUTO", COURSE_PROGRESS="0")
    environ.pop("COURSE_QUICK", None)
    own_user_state(folder / "user-state", environ)
    return cells, _run(folder, environ)


@pytest.mark.slow
def test_the_lesson_passes_under_other_kernels_with_numbers_that_moved(other_kernels_run):
    cells, results = other_kernels_run
    lesson = _results_of(results, "lesson")
    assert len(lesson) == len(cells["lesson"])
    failed = {cell: message for cell, (message, _) in lesson.items() if message}
    assert not failed, failed
    moved = sum(moved for _, moved in lesson.values())
    assert moved > 0, "every number was printed as stored: nothing here shows that the " \
                      "comparison holds where numbers move"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(len(PLANTS)), ids=[p.name for p in PLANTS])
def test_a_planted_regression_fails_where_it_shows(other_kernels_run, number):
    cells, results = other_kernels_run
    plant, name = PLANTS[number], f"plant{number}"
    outcome = _results_of(results, name)
    failing = sorted(cell for cell, (message, _) in outcome.items() if message)
    assert failing, f"{plant.name}: the regression run passed"
    assert failing[0] == cells[name][plant.shows], f"{plant.name}: first failure in {failing}"
    message = outcome[failing[0]][0]
    tolerance_notes = message.partition("Compared with the cell's tolerance")[2]
    if plant.how == "numbers":  # the words are the same: numbers beyond tolerance show it
        assert "(stored " in tolerance_notes and "text around" not in tolerance_notes, message
    else:
        assert "the text around the numbers differs" in tolerance_notes, message


def _results_of(results, name):
    matches = [cells for notebook, cells in results.items() if notebook == name]
    assert len(matches) == 1, f"no results for {name}: {sorted(results)}"
    return matches[0]
