"""Lesson 6's trusted hidden-test helpers (autograder/hidden/l06_regularization.py) and the
notebook's hidden tests, judged against a "kernel" that lives in this process: the real probe
(autograder/kernel_probe.py) answering over a plain namespace, with the same JSON round trip as
in grading."""
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch

from autograder import simulate as sim
from autograder.hidden import l06_regularization as h
from autograder.trusted_tests import in_process_student, run_hidden_test, split_hidden

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06-regularization" / "regularization.ipynb"
SPEC = ROOT / "tests" / "student_sims" / "06-regularization.py"


local_student = in_process_student


GRADER_NAMES = {"student", "rng", "expect", "kind", "TestFailed", "StudentError", "np", "torch", "math"}


def free_names(code):
    """Names a hidden test reads without defining or importing them (builtins aside)."""
    import ast
    import builtins

    tree = ast.parse(code)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound - GRADER_NAMES - set(dir(builtins))


def _cells():
    return nbformat.read(str(NOTEBOOK), as_version=4).cells


def _namespace(replace=None):
    """The setup cell (the first code cell) and every reference answer, run as in a kernel."""
    namespace = {"__name__": "__main__"}
    code = [cell for cell in _cells() if cell.cell_type == "code"]
    with matplotlib.rc_context():
        exec(compile(code[0].source, "setup", "exec"), namespace)
    for cell in code:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution"):
            source = (replace or {}).get(nbgrader["grade_id"], cell.source)
            exec(compile(source, nbgrader["grade_id"], "exec"), namespace)
    return namespace


def _hidden_tests():
    return {c.metadata.nbgrader["grade_id"]: split_hidden(c.source)[1] for c in _cells()
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def test_every_graded_cell_has_a_hidden_test_that_uses_no_kernel_names():
    tests = _hidden_tests()
    assert sorted(tests) == ["ex1-l2-penalty-tests", "ex2-make-frame-tests"]
    for grade_id, code in tests.items():
        assert free_names(code) == set(), grade_id


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_reference_answers_pass_every_hidden_test(seed):
    namespace = _namespace()
    for grade_id, code in _hidden_tests().items():
        verdict = run_hidden_test(code, local_student(namespace), seed, name=grade_id)
        assert verdict.passed, f"{grade_id}: {verdict.message}"


@pytest.mark.slow
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_simulated_mistakes_fail_with_their_hint(number):
    mistake = sim.load_spec(SPEC)["MISTAKES"][number - 1]
    namespace = _namespace({mistake["cell"]: mistake["source"]})
    code = _hidden_tests()[mistake["cell"] + "-tests"]
    verdict = run_hidden_test(code, local_student(namespace), 5)
    assert not verdict.passed and mistake["hint"] in verdict.message


@pytest.mark.parametrize("source, hint", [
    ("def l2_penalty(model, n_samples):\n    return model.alpha / (2 * n_samples) * float(np.sum(model.coefs_[0] ** 2))\n",
     "not only the first"),
    ("def l2_penalty(model, n_samples):\n    return model.alpha / 2 * sum(float(np.sum(W ** 2)) for W in model.coefs_)\n",
     "divide by the number of training samples n"),
    ("def l2_penalty(model, n_samples):\n    return [0.0]\n", "return one finite number"),
])
def test_other_penalty_mistakes(source, hint):
    namespace = {"np": np}
    exec(source, namespace)
    verdict = run_hidden_test(_hidden_tests()["ex1-l2-penalty-tests"], local_student(namespace), 3)
    assert not verdict.passed and hint in verdict.message


@pytest.mark.parametrize("seed", range(5))
def test_iris_split_keeps_both_classes_and_standardizes(seed):
    X_train, X_test, y_train, y_test = h.iris_split(np.random.default_rng(seed))
    assert set(y_train) == set(y_test) == {0, 1}
    assert np.allclose(X_train.mean(axis=0), 0, atol=1e-6) and np.allclose(X_train.std(axis=0), 1, atol=1e-6)
    assert 0.2 < len(X_test) / (len(X_train) + len(X_test)) < 0.45


def test_as_number():
    assert h.as_number(0.5) == 0.5 and h.as_number(np.float32(2)) == 2.0 and h.as_number(torch.tensor(3.0)) == 3.0
    assert h.as_number(np.array(1.5)) == 1.5 and h.as_number(4) == 4.0
    for value in ([1.0], np.zeros(2), float("nan"), "1", None, True):
        assert h.as_number(value) is None


def test_frames_and_their_differences():
    X_train, _, y_train, _ = h.iris_split(np.random.default_rng(0))
    small, large = h.frame_alphas(np.random.default_rng(0))
    assert small < 0.01 and large > 100
    detailed, flat = h.reference_frame(small, X_train, y_train), h.reference_frame(large, X_train, y_train)
    assert h.is_frame(detailed) and detailed.shape == flat.shape
    assert h.changed_fraction(detailed, detailed) == 0 and h.changed_fraction(detailed, flat) > 0.02
    assert not h.is_frame(detailed[..., 0]) and not h.is_frame(detailed.astype(float))
