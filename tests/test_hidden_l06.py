"""Lesson 6's trusted hidden-test helpers (autograder/hidden/l06_regularization.py) and the
notebook's hidden tests, judged against a "kernel" that lives in this process: the real probe
(autograder/grading/kernel_probe.py) answering over a plain namespace, with the same JSON round trip as
in grading."""
import ast
import builtins
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch

from autograder.authoring import simulate as sim
from autograder.grading.trusted_tests import (
    in_process_student,
    run_hidden_test,
    split_hidden,
)
from autograder.hidden import l06_regularization as h
from course_utils.lessons import l06_regularization as lesson
from course_utils.own_code import top_level_names

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06-regularization" / "regularization.ipynb"
SPEC = ROOT / "tests" / "student_sims" / "06-regularization.py"
GRADER_NAMES = {"student", "rng", "expect", "expect_own_code", "kind", "TestFailed", "StudentError",
                "np", "torch", "math"}
N_MISTAKES = len(sim.load_spec(SPEC)["MISTAKES"])


def free_names(code):
    """Names a hidden test reads without defining or importing them (builtins aside)."""
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


def _student(replace=None):
    """The setup cell (the first code cell) and every answer (reference unless replaced), run
    as in a kernel, with the answer cells' sources for the own-code checks."""
    namespace, sources = {"__name__": "__main__"}, {}
    code = [cell for cell in _cells() if cell.cell_type == "code"]
    with matplotlib.rc_context():
        exec(compile(code[0].source, "setup", "exec"), namespace)
    for cell in code:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution"):
            source = (replace or {}).get(nbgrader["grade_id"], cell.source)
            exec(compile(source, nbgrader["grade_id"], "exec"), namespace)
            sources.update(dict.fromkeys(top_level_names(source), source))
    return in_process_student(namespace, sources)


def _hidden_tests():
    return {c.metadata.nbgrader["grade_id"]: split_hidden(c.source)[1] for c in _cells()
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def test_every_graded_cell_has_a_hidden_test_that_uses_no_kernel_names():
    tests = _hidden_tests()
    assert sorted(tests) == ["ex1-l2-penalty-tests", "ex2-make-frame-tests", "ex3-write-gif-tests"]
    for grade_id, code in tests.items():
        assert free_names(code) == set(), grade_id
        assert "expect_own_code(" in code, grade_id


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_reference_answers_pass_every_hidden_test(seed):
    student = _student()
    for grade_id, code in _hidden_tests().items():
        verdict = run_hidden_test(code, student, seed, name=grade_id)
        assert verdict.passed, f"{grade_id}: {verdict.message}"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(N_MISTAKES))
def test_the_simulated_mistakes_fail_with_their_hint(number):
    mistake = sim.load_spec(SPEC)["MISTAKES"][number]
    student = _student({mistake["cell"]: mistake["source"]})
    verdict = run_hidden_test(_hidden_tests()[mistake["cell"] + "-tests"], student, 5)
    assert not verdict.passed and mistake["hint"] in verdict.message, verdict.message


@pytest.mark.parametrize("source, hint", [
    ("def l2_penalty(model, n_samples):\n"
     "    return model.alpha / (2 * n_samples) * float(np.sum(model.coefs_[0] ** 2))\n",
     "not only the first"),
    ("def l2_penalty(model, n_samples):\n"
     "    return model.alpha / 2 * sum(float(np.sum(W ** 2)) for W in model.coefs_)\n",
     "divide by the number of training samples n"),
    ("def l2_penalty(model, n_samples):\n    return [0.0]\n", "return one finite number"),
    ("def l2_penalty(model, n_samples):\n    return model.loss_\n", "do not use `loss_`"),
])
def test_other_penalty_mistakes(source, hint):
    verdict = run_hidden_test(_hidden_tests()["ex1-l2-penalty-tests"],
                              _student({"ex1-l2-penalty": source}), 3)
    assert not verdict.passed and hint in verdict.message, verdict.message


def test_a_gif_writer_that_drops_frames_is_refused():
    source = ("def write_gif(frames, path, fps):\n"
              "    iio.imwrite(path, list(frames)[:-1], extension='.gif', duration=1000 / fps, loop=0)\n")
    verdict = run_hidden_test(_hidden_tests()["ex3-write-gif-tests"],
                              _student({"ex3-write-gif": source}), 4)
    assert not verdict.passed and "one frame per image" in verdict.message, verdict.message


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


def test_frame_problem_names_each_slip():
    image, names = np.zeros((40, 50, 3), np.uint8), ["a (x)", "b (y)"]
    texts = {"title": "alpha = 0.00123 | acc 100%", "xlabel": "a (x)", "ylabel": "b (y)"}
    assert lesson.frame_problem(image, texts, (40, 50), 0.001234, names) is None
    assert "uint8" in lesson.frame_problem(image.astype(float), texts, (40, 50), 0.001234, names)
    assert "rendered" in lesson.frame_problem(image, texts, (80, 100), 0.001234, names)
    assert "feature names" in lesson.frame_problem(image, {**texts, "ylabel": ""}, (40, 50), 0.001234, names)
    assert "alpha" in lesson.frame_problem(image, {**texts, "title": "alpha = 0.5"}, (40, 50), 0.001234, names)
    assert lesson.shows_number("alpha = 1.2e+03", 1234.0) and lesson.shows_number("1e-03", 0.001)
    assert not lesson.shows_number("alpha", 0.001)


def test_gif_problem_reads_timing_loop_and_frames(tmp_path):
    import imageio.v3 as iio

    frames = lesson.block_frames(3, (10, 12))
    good, fast, once = tmp_path / "good.gif", tmp_path / "fast.gif", tmp_path / "once.gif"
    iio.imwrite(good, frames, extension=".gif", duration=250, loop=0)
    iio.imwrite(fast, frames, extension=".gif", duration=0.25, loop=0)
    iio.imwrite(once, frames, extension=".gif", duration=250)
    assert lesson.check_gif(good, frames, 4) is None
    assert "milliseconds" in lesson.check_gif(fast, frames, 4)
    assert "loop=0" in lesson.check_gif(once, frames, 4)
    assert "3 frames for 4 images" in lesson.check_gif(good, frames + lesson.block_frames(1, (10, 12), seed=9), 4)
    assert "no file" in lesson.check_gif(tmp_path / "missing.gif", frames, 4)
    assert "order" in lesson.check_gif(good, frames[::-1], 4)
