"""Self-checks print one line and recognise the usual mistakes."""
import pytest
import torch
from torch import nn

from course_utils.checks import (
    diagnose_classifier,
    diagnose_device,
    diagnose_log_probabilities,
    diagnose_scaling,
    expect,
    self_check,
)
from course_utils.models import MLP


def _line(capsys, body):
    with self_check("demo", on_error="check the shapes"):
        body()
    return capsys.readouterr().out.strip()


def test_pass_todo_and_fail_lines_are_distinct(capsys):
    assert _line(capsys, lambda: expect(True, "unused")) == "[PASS] demo"

    def not_done():
        raise NotImplementedError()
    assert _line(capsys, not_done).startswith("[TODO] demo: not attempted yet")
    assert _line(capsys, lambda: expect(False, "use the absolute value")) == \
        "[FAIL] demo: use the absolute value"


def test_a_crash_in_student_code_becomes_a_hint_not_a_traceback(capsys):
    line = _line(capsys, lambda: torch.zeros(2) @ torch.zeros(3))
    assert line.startswith("[FAIL] demo: your code raised RuntimeError")
    assert line.endswith("Hint: check the shapes")


def test_relu_before_nll_is_recognised():
    torch.manual_seed(0)
    X, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    wrong = MLP(4, 8, 2, output_activation="relu")
    right = MLP(4, 8, 2, output_activation="log_softmax")
    assert "LogSoftmax" in diagnose_classifier(wrong, X, y, nn.NLLLoss())
    assert diagnose_classifier(right, X, y, nn.NLLLoss()) is None
    assert "LogSoftmax" in diagnose_log_probabilities(torch.relu(torch.randn(4, 3)))


def test_no_activation_or_softmax_before_cross_entropy():
    X, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    assert diagnose_classifier(MLP(4, 8, 3), X, y, nn.CrossEntropyLoss()) is None
    hint = diagnose_classifier(MLP(4, 8, 3, output_activation="softmax"), X, y,
                               nn.CrossEntropyLoss())
    assert "raw logits" in hint and "Softmax" in hint


def test_wrong_target_dtype_is_reported_as_a_hint():
    X, y = torch.randn(16, 4), torch.randint(0, 3, (16,)).float()
    assert "torch.long" in diagnose_classifier(MLP(4, 8, 3), X, y, nn.CrossEntropyLoss())


def test_unscaled_features_are_recognised():
    torch.manual_seed(0)
    raw = torch.stack([torch.randint(1, 4, (200,)).float(), 30 + 14 * torch.randn(200)], dim=1)
    scaled = (raw - raw.mean(0)) / raw.std(0)
    assert "standardized" in diagnose_scaling(raw)
    assert diagnose_scaling(scaled) is None


def test_model_and_data_on_different_devices_are_recognised():
    model = nn.Linear(2, 1).to("meta")
    assert "meta" in diagnose_device(model, torch.zeros(1, 2))
    assert diagnose_device(nn.Linear(2, 1), torch.zeros(1, 2)) is None


def test_expect_raises_an_assertion_with_the_hint():
    with pytest.raises(AssertionError, match="one row per sample"):
        expect(False, "one row per sample")


def test_builds_on_skips_a_cell_until_its_exercise_works(capsys):
    from course_utils.checks import builds_on

    def unanswered():
        raise NotImplementedError

    with builds_on("Exercise 7"):
        result = unanswered()
    with builds_on("Exercise 7: train"):
        print(result)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("[TODO] Exercise 7") for line in lines)
    with builds_on("Exercise 7"):
        result = 1
    with pytest.raises(NameError):  # once the exercise works, a NameError is a real mistake
        with builds_on("Exercise 7"):
            print(undefined_name)  # noqa: F821
    with pytest.raises(ZeroDivisionError):  # a finished answer's errors are shown as usual
        with builds_on("Exercise 8"):
            _ = 1 / 0


def test_self_check_records_unanswered_exercises(capsys):
    from course_utils.checks import builds_on

    with self_check("Exercise 9: thing"):
        raise NotImplementedError
    with builds_on("Exercise 9"):
        print(never_defined)  # noqa: F821
    assert capsys.readouterr().out.count("[TODO]") == 2


def test_a_cell_using_a_failed_answer_prints_its_hint_instead_of_stopping(capsys):
    from course_utils.checks import builds_on

    with self_check("Exercise 11: duration"):
        expect(False, "the GIF writer wants milliseconds")
    with self_check("Exercise 11: loop"):  # a second check of the same exercise passes
        pass
    with builds_on("Exercise 10", "Exercise 11"):
        raise KeyError("duration")
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("[FAIL] this cell stopped at KeyError")
    assert "Exercise 11" in last and "the GIF writer wants milliseconds" in last
    with self_check("Exercise 11: duration"):  # fixed: the next error is the student's to see
        pass
    with pytest.raises(KeyError):
        with builds_on("Exercise 11"):
            raise KeyError("duration")
