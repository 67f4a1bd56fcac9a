"""Lesson 5's hidden tests (grader code in notebooks/05-mnist), run in this process.

The "kernel" is a namespace in this process holding the answer cells, reached through the same
probe (autograder/kernel_probe.py) and ``Student`` proxy as in grading, so the hidden tests can
be tried over several seeds: the reference solution passes them, and each simulated mistake of
tests/student_sims/05-mnist.py fails its exercise's test with its hint. The trained-CNN test
needs the notebook's training run: tests/test_autograder_sims.py covers it; here only its
"not attempted" case runs.
"""
from pathlib import Path

import nbformat
import pytest

from autograder import simulate as sim
from autograder.trusted_tests import in_process_student, run_hidden_test, split_hidden

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05-mnist" / "mnist.ipynb"
SPEC = sim.load_spec(ROOT / "tests" / "student_sims" / "05-mnist.py")
PRELUDE = ("import numpy as np\nimport torch\nfrom torch import nn\n"
           "from course_utils.datasets import MNIST_MEAN, MNIST_STD\n")
TRAINED = "ex3-cnn-trained-tests"
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
    for cell_id, source in {**_answers(), **(replace or {})}.items():
        exec(source, namespace)
    return namespace


@pytest.fixture
def student_of():
    """Student proxies for in-process namespaces, answered by the grader's probe code."""
    return in_process_student


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


def test_a_cnn_not_attempted_fails_the_trained_test(student_of):
    namespace = _kernel_namespace()
    namespace["cnn"] = None
    verdict = run_hidden_test(_tests()[TRAINED][1], student_of(namespace), 0, TRAINED)
    assert not verdict.passed and "not attempted" in verdict.message


def test_unanswered_cells_fail_without_crashing_the_grader(student_of):
    namespace = {}
    exec(PRELUDE, namespace)
    for source in _answers().values():  # as released: the signatures stay, the bodies raise
        exec(_stub(source), namespace)
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
