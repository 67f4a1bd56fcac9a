"""Lesson 5, exercise 2: the verdict on an evaluation over a DataLoader names each mistake
(course_utils/lessons/l05_evaluation.py)."""
import pytest
import torch

from course_utils.lessons.l05_evaluation import diagnose_evaluate_loader


def evaluate_loader(model, loader, loss_fn, device="cpu", *, eval_mode=True, no_grad=True,
                    weighted=True, percent=False):
    if eval_mode:
        model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad() if no_grad else torch.enable_grad():
        for images, labels in loader:
            logits = model(images.to(device))
            total_loss += loss_fn(logits, labels).item() * (len(labels) if weighted else 1)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            count += len(labels)
    loss = total_loss / count if weighted else total_loss / len(loader)
    return loss, (100 if percent else 1) * correct / count


def test_the_reference_passes():
    assert diagnose_evaluate_loader(evaluate_loader) is None


@pytest.mark.parametrize("mistake,hint", [
    ({"eval_mode": False}, "call model.eval() before the loop"),
    ({"no_grad": False}, "torch.no_grad()"),
    ({"weighted": False}, "the mean of the batches' means"),
    ({"percent": True}, "a fraction between 0 and 1"),
])
def test_each_mistake_gets_its_hint(mistake, hint):
    problem = diagnose_evaluate_loader(lambda *args: evaluate_loader(*args, **mistake))
    assert problem is not None and hint in problem, problem


def test_a_loader_other_than_the_argument_is_seen():
    other = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(
        torch.zeros(7, 1, 28, 28), torch.zeros(7, dtype=torch.long)), batch_size=4)
    problem = diagnose_evaluate_loader(lambda model, loader, loss_fn, device: evaluate_loader(model, other, loss_fn))
    assert "evaluate every batch of the loader you are given" in problem


def test_a_result_that_is_not_a_pair_of_numbers():
    assert "return a pair of numbers" in diagnose_evaluate_loader(lambda *args: {"loss": 1.0})
