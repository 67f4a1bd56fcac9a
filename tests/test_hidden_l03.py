"""Lesson 3's hidden tests (grader code in notebooks/03-activations-mlps), run in this process.

The "kernel" is a namespace in this process holding the answer cells, reached through the same
probe (autograder/grading/kernel_probe.py) and ``Student`` proxy as in grading, so the hidden tests can
be tried over many seeds in seconds: the reference solution passes every one of them, and each
simulated mistake of tests/student_sims/03-activations-mlps.py loses its points with its hint.
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
from course_utils.own_code import top_level_names

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "03-activations-mlps" / "activations_mlps.ipynb"
SPEC = sim.load_spec(ROOT / "tests" / "student_sims" / "03-activations-mlps.py")
PRELUDE = ("import numpy as np\nimport torch\nfrom torch import nn\n"
           "from torch.utils.data import Dataset, random_split\nfrom course_utils import MLP\n")
SEEDS = range(8)


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
    for source in {**_answers(), **(replace or {})}.values():
        exec(source, namespace)
    namespace["__answer_cells__"] = list({**_answers(), **(replace or {})}.values())
    return namespace


def _student(namespace):
    """The grader's view: the answer cells' sources (for expect_own_code) and their kernel."""
    cells = namespace.pop("__answer_cells__", [])
    sources = {name: source for source in cells for name in top_level_names(source)}
    return in_process_student(namespace, sources=sources, cells=cells)


@pytest.fixture
def student_of():
    """Student proxies for in-process namespaces, answered by the grader's probe code."""
    return _student


def test_every_graded_cell_has_a_hidden_test():
    assert all(code for _, code in _tests().values())


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_solution_passes_for_every_seed(student_of, seed):
    student = student_of(_kernel_namespace())
    for grade_id, (_, code) in _tests().items():
        verdict = run_hidden_test(code, student, seed, grade_id)
        assert verdict.passed, f"{grade_id}, seed {seed}: {verdict.message}"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(SPEC["MISTAKES"]) + 1))
def test_each_mistake_loses_its_points_with_its_hint(student_of, number):
    mistake = SPEC["MISTAKES"][number - 1]
    student = student_of(_kernel_namespace({mistake["cell"]: mistake["source"]}))
    tests = _tests()
    full = sum(points for points, _ in tests.values())
    for seed in SEEDS[:3]:
        verdicts = {grade_id: run_hidden_test(code, student, seed, grade_id)
                    for grade_id, (_, code) in tests.items()}
        score = sum(tests[g][0] for g, v in verdicts.items() if v.passed)
        assert score == mistake["score"], (seed, {g: v.message for g, v in verdicts.items() if not v.passed})
        assert any(mistake["hint"] in v.message for v in verdicts.values() if not v.passed), seed
    assert full == 18


def test_unanswered_cells_fail_without_crashing_the_grader(student_of):
    namespace = {}
    exec(PRELUDE, namespace)
    stubs = [_stub(source) for source in _answers().values()]
    for source in stubs:  # as released: the signatures stay, the bodies raise
        exec(source, namespace)
    namespace["__answer_cells__"] = stubs
    student = student_of(namespace)
    for grade_id, (_, code) in _tests().items():
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
