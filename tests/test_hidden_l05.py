"""Lesson 5's hidden tests (grader code in notebooks/05-mnist), run in this process by the one
harness (tests/hidden_harness.py; what every lesson shares: tests/test_hidden_tests.py): each
simulated mistake fails its own exercise only, and the trained-CNN test, which needs the
notebook's training run (tests/test_autograder_sims.py grades it for real), in its other cases."""
import pytest
from hidden_harness import LESSONS

LESSON = LESSONS["05-mnist"]
TRAINED = "ex4-cnn-trained-tests"


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(LESSON.mistakes) + 1))
def test_each_mistake_fails_its_exercise_only(number):
    mistake = LESSON.mistakes[number - 1]
    student = LESSON.student({mistake["cell"]: mistake["source"]})
    for seed in (0, 1):
        _, failed = LESSON.score(student, seed)
        assert list(failed) == [mistake["cell"] + "-tests"], (seed, failed)
        assert (mistake["hint"] or "") in failed[mistake["cell"] + "-tests"], (seed, failed)


@pytest.mark.parametrize("cnn", ["missing", None])
def test_a_cnn_not_attempted_fails_the_trained_test(cnn):
    namespace = LESSON.namespace()
    if cnn is None:
        namespace["cnn"] = None  # no trained CNN (the training cell was skipped)
    verdict = LESSON.judge_student(LESSON.student(namespace=namespace), TRAINED, 0)
    assert not verdict.passed and "not attempted" in verdict.message


def test_a_trained_cnn_returning_probabilities_loses_its_points():
    """The trained-CNN test judges outputs the grader computes from its own test digits."""
    namespace = LESSON.namespace()
    torch = namespace["torch"]

    class CNN(namespace["CNN"]):
        def forward(self, x):
            return torch.softmax(super().forward(x), dim=1)

    namespace["cnn"] = CNN()
    verdict = LESSON.judge_student(LESSON.student(namespace=namespace), TRAINED, 0)
    assert not verdict.passed and "returns probabilities" in verdict.message, verdict.message


def test_a_trained_model_that_is_not_the_students_cnn_loses_its_points():
    namespace = LESSON.namespace()
    torch = namespace["torch"]
    namespace["cnn"] = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    verdict = LESSON.judge_student(LESSON.student(namespace=namespace), TRAINED, 0)
    assert not verdict.passed and "must be your CNN (found a Sequential)" in verdict.message


def test_the_trained_test_ignores_targets_and_results_in_the_notebook():
    """An untrained CNN fails even when the notebook's own numbers say it passed."""
    namespace = LESSON.namespace()
    namespace["torch"].manual_seed(0)
    namespace["cnn"] = namespace["CNN"]()
    namespace["CNN_TARGET"], namespace["cnn_test"] = 0.0, {"accuracy": 1.0, "loss": 0.0}
    verdict = LESSON.judge_student(LESSON.student(namespace=namespace), TRAINED, 0)
    assert not verdict.passed and "test accuracy" in verdict.message, verdict.message


def test_aliasing_an_answer_is_refused():
    replace = {"ex4-cnn": "from course_utils.models import LeNet\n\nCNN = LeNet\n",
               "ex2-evaluate-loader": "from course_utils import evaluate\n\n\n"
                                      "def evaluate_loader(model, loader, loss_fn, device='cpu'):\n"
                                      "    images, labels = (torch.cat(t) for t in zip(*loader))\n"
                                      "    result = evaluate(model, images, labels, loss_fn=loss_fn)\n"
                                      "    return result['loss'], result['accuracy']\n"}
    student = LESSON.student(replace)
    for grade_id in ("ex2-evaluate-loader-tests", "ex4-cnn-tests"):
        verdict = LESSON.judge_student(student, grade_id, 0)
        assert not verdict.passed, verdict.message
        assert "course_utils" in verdict.message or "define" in verdict.message, verdict.message
