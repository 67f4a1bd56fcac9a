"""Lesson 6's trusted hidden-test helpers (autograder/hidden/l06_regularization.py) and the
notebook's hidden tests, judged against a "kernel" that lives in this process: the real probe
(autograder/grading/kernel_probe.py) answering over a plain namespace, with the same JSON round trip as
in grading."""

import matplotlib
import numpy as np
import pytest
import torch
from hidden_harness import LESSONS

from autograder.grading.trusted_tests import (
    run_hidden_test,
)
from autograder.hidden import l06_regularization as h
from course_utils.lessons import l06_regularization as lesson

matplotlib.use("Agg")

LESSON = LESSONS["06-regularization"]


def _student(replace=None):
    """The lesson's setup cell and every answer (reference unless replaced), as in a kernel."""
    return LESSON.student(replace)


def _hidden_tests():
    return LESSON.hidden


def test_every_answer_is_checked_for_own_code():
    assert sorted(LESSON.hidden) == ["ex1-l2-penalty-tests", "ex2-make-frame-tests", "ex3-write-gif-tests",
                                     "ex4-dropout-tests", "ex5-weight-decay-tests", "ex6-keep-best-tests"]
    for grade_id, code in LESSON.hidden.items():
        assert "expect_own_code(" in code, grade_id


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
