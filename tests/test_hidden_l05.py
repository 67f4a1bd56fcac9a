"""Lesson 5's hidden tests (grader code in notebooks/05-mnist), run in this process.

The "kernel" is a namespace in this process holding the answer cells, reached through the same
probe (autograder/grading/kernel_probe.py) and ``Student`` proxy as in grading, so the hidden tests can
be tried over several seeds: the reference solution passes them, and each simulated mistake of
tests/student_sims/05-mnist.py fails its exercise's test with its hint. The trained-CNN test
needs the notebook's training run: tests/test_autograder_sims.py covers it; here only its
"not attempted" case runs.
"""
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import simulate as sim
from autograder.grading.trusted_tests import (
    in_process_student,
    run_hidden_test,
    split_hidden,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05-mnist" / "mnist.ipynb"
SPEC = sim.load_spec(ROOT / "tests" / "student_sims" / "05-mnist.py")
PRELUDE = ("import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
           "from course_utils.datasets import MNIST_MEAN, MNIST_STD\n")
TRAINED = "ex4-cnn-trained-tests"
NAMES = {"ex1-standardize": "standardize", "ex2-image-mlp": "ImageMLP", "ex3-per-class": "per_class_accuracy",
         "ex4-cnn": "CNN"}
SEEDS = range(4)


def _notebook():
    return nbformat.read(str(NOTEBOOK), as_version=4)


def _answers():
    return {sim.grade_id(cell): cell.source for cell in _notebook().cells
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"}


def _tests():
    """{grade_id: (points, hidden test code)} of the graded test cells."""
    return {sim.grade_id(cell): (cell.metadata.nbgrader["points"], split_hidden(cell.source)[1])
            for cell in _notebook().cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


def _kernel_namespace(replace=None):
    namespace = {}
    exec(PRELUDE, namespace)
    sources = {}
    for cell_id, source in {**_answers(), **(replace or {})}.items():
        exec(source, namespace)
        sources[NAMES[cell_id]] = source
    namespace["__sources__"] = sources  # read by student_of, not by the tests
    return namespace


@pytest.fixture
def student_of():
    """Student proxies for in-process namespaces, answered by the grader's probe code; the
    answer cells' sources go with them, for the own-code checks."""
    def make(namespace):
        return in_process_student(namespace, sources=namespace.pop("__sources__", {}))
    return make


def test_every_graded_cell_has_a_hidden_test():
    assert all(code for _, code in _tests().values())


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_solution_passes_for_every_seed(student_of, seed):
    student = student_of(_kernel_namespace())
    for grade_id, (_, code) in _tests().items():
        if grade_id != TRAINED:
            verdict = run_hidden_test(code, student, seed, grade_id)
            assert verdict.passed, f"{grade_id}, seed {seed}: {verdict.message}"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(SPEC["MISTAKES"]) + 1))
def test_each_mistake_fails_its_exercise_with_its_hint(student_of, number):
    mistake = SPEC["MISTAKES"][number - 1]
    student = student_of(_kernel_namespace({mistake["cell"]: mistake["source"]}))
    for seed in SEEDS[:2]:
        failed = {}
        for grade_id, (_, code) in _tests().items():
            verdict = run_hidden_test(code, student, seed, grade_id) if grade_id != TRAINED else None
            if verdict is not None and not verdict.passed:
                failed[grade_id] = verdict.message
        assert list(failed) == [mistake["cell"] + "-tests"], (seed, failed)
        assert mistake["hint"] in failed[mistake["cell"] + "-tests"], (seed, failed)


@pytest.mark.parametrize("cnn", ["missing", None])
def test_a_cnn_not_attempted_fails_the_trained_test(student_of, cnn):
    namespace = _kernel_namespace()
    if cnn is None:
        namespace["cnn"] = None  # no trained CNN (the training cell was skipped)
    verdict = run_hidden_test(_tests()[TRAINED][1], student_of(namespace), 0, TRAINED)
    assert not verdict.passed and "not attempted" in verdict.message


def test_a_trained_cnn_returning_probabilities_loses_its_points(student_of):
    """The trained-CNN test judges outputs the grader computes from its own test digits."""
    namespace = _kernel_namespace()
    torch = namespace["torch"]
    namespace["cnn"] = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.Softmax(dim=1))
    verdict = run_hidden_test(_tests()[TRAINED][1], student_of(namespace), 0, TRAINED)
    assert not verdict.passed and "returns probabilities" in verdict.message


def test_the_trained_test_ignores_targets_and_results_in_the_notebook(student_of):
    """An untrained CNN fails even when the notebook's own numbers say it passed."""
    namespace = _kernel_namespace()
    namespace["torch"].manual_seed(0)
    namespace["cnn"] = namespace["CNN"]()
    namespace["CNN_TARGET"], namespace["cnn_test"] = 0.0, {"accuracy": 1.0, "loss": 0.0}
    verdict = run_hidden_test(_tests()[TRAINED][1], student_of(namespace), 0, TRAINED)
    assert not verdict.passed and "test accuracy" in verdict.message, verdict.message


def test_aliasing_an_answer_is_refused(student_of):
    replace = {"ex4-cnn": "from course_utils.models import LeNet\n\nCNN = LeNet\n",
               "ex2-image-mlp": "from course_utils import MLP\n\n\nclass ImageMLP(MLP):\n"
                                "    def __init__(self):\n"
                                "        super().__init__(784, 512, 10, n_hidden_layers=2, dropout=0.2)\n"}
    student = student_of(_kernel_namespace(replace))
    for grade_id in ("ex2-image-mlp-tests", "ex4-cnn-tests"):
        verdict = run_hidden_test(_tests()[grade_id][1], student, 0, grade_id)
        assert not verdict.passed, verdict.message
        assert "course_utils" in verdict.message or "define" in verdict.message, verdict.message


def test_unanswered_cells_fail_without_crashing_the_grader(student_of):
    namespace = {}
    exec(PRELUDE, namespace)
    sources = {}
    for cell_id, source in _answers().items():  # as released: the signatures stay, the bodies raise
        exec(_stub(source), namespace)
        sources[NAMES[cell_id]] = _stub(source)
    namespace["__sources__"] = sources
    student = student_of(namespace)
    for grade_id, (_, code) in _tests().items():
        if grade_id != TRAINED:
            verdict = run_hidden_test(code, student, 0, grade_id)
            assert not verdict.passed and "NotImplementedError" in verdict.message, (grade_id, verdict.message)


def _stub(source):
    """An answer cell as released: each solution region becomes ``raise NotImplementedError()``."""
    lines, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
            lines.append(line.replace("### BEGIN SOLUTION", "raise NotImplementedError()"))
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines) + "\n"
