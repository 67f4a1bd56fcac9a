"""The shared fit/evaluate loop."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.models import MLP
from course_utils.settings import seed_everything
from course_utils.training import (
    History,
    evaluate,
    fit,
    predict,
    predict_outputs,
    summarize,
)


def _circles():
    from sklearn.datasets import make_circles

    X, y = make_circles(1000, noise=0.05, factor=0.5, random_state=0)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32).view(-1, 1)


def _train_circles(seed=0, epochs=15):
    X, y = _circles()
    seed_everything(seed)
    model = MLP(2, 16, 1, n_hidden_layers=2)
    history = fit(model, (X[:800], y[:800]), (X[800:], y[800:]), loss_fn=nn.BCEWithLogitsLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.02), epochs=epochs,
                  batch_size=32, device="cpu", verbose=False)
    return model, history


def test_reaches_known_accuracy_on_circles():
    model, history = _train_circles()
    X, y = _circles()
    assert history.val_acc[history.best_epoch - 1] >= 0.97
    assert evaluate(model, X[800:], y[800:], loss_fn=nn.BCEWithLogitsLoss())["accuracy"] >= 0.97


def test_reaches_full_accuracy_on_xor_with_cross_entropy():
    centers = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=np.float32)
    rng = np.random.default_rng(0)
    X = np.concatenate([c + 0.1 * rng.standard_normal((100, 2)) for c in centers]).astype("float32")
    y = np.repeat([0, 0, 1, 1], 100)
    seed_everything(0)
    model = MLP(2, 8, 2)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), epochs=40, batch_size=16, device="cpu",
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05), verbose=False)
    assert (predict(model, X).numpy() == y).mean() == 1.0


def test_same_seed_gives_identical_history():
    _, first = _train_circles(seed=3, epochs=5)
    _, second = _train_circles(seed=3, epochs=5)
    _, other = _train_circles(seed=4, epochs=5)
    assert first.train_loss == second.train_loss and first.val_loss == second.val_loss
    assert first.train_loss != other.train_loss


def test_epoch_loss_is_the_per_sample_mean_over_uneven_batches():
    X = torch.arange(10, dtype=torch.float32).view(-1, 1)
    y = torch.zeros(10, 1)
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    # batches of 4, 4 and 2 samples; MSE of outputs x against 0 is the mean of x^2
    result = evaluate(model, X, y, loss_fn=nn.MSELoss(), batch_size=4)
    assert result["loss"] == pytest.approx(sum(i * i for i in range(10)) / 10)
    mean_of_batch_means = np.mean([np.mean([i * i for i in b]) for b in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9])])
    assert result["loss"] != pytest.approx(mean_of_batch_means)


def test_keep_best_restores_the_best_validation_epoch():
    X, y = _circles()
    seed_everything(0)
    model = MLP(2, 32, 1, n_hidden_layers=2)
    # a large learning rate makes validation loss jump around, so the last epoch is rarely best
    history = fit(model, (X[:800], y[:800]), (X[800:], y[800:]), loss_fn=nn.BCEWithLogitsLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=2.0), epochs=12,
                  batch_size=50, device="cpu", verbose=False)
    best = history.best_epoch
    assert history.val_loss[best - 1] == min(history.val_loss)
    restored = evaluate(model, X[800:], y[800:], loss_fn=nn.BCEWithLogitsLoss())["loss"]
    assert restored == pytest.approx(history.val_loss[best - 1], rel=1e-5)


def test_dataloader_input_gives_the_same_metrics_as_tensors():
    X, y = _circles()
    loader = DataLoader(TensorDataset(X, y), batch_size=64)
    model = MLP(2, 8, 1)
    from_tensors = evaluate(model, X, y, loss_fn=nn.BCEWithLogitsLoss(), batch_size=64)
    from_loader = evaluate(model, loader, loss_fn=nn.BCEWithLogitsLoss())
    assert from_loader["loss"] == pytest.approx(from_tensors["loss"])
    assert from_loader["accuracy"] == pytest.approx(from_tensors["accuracy"])


def test_serves_regression_targets_without_accuracy():
    X = torch.linspace(-1, 1, 64).view(-1, 1)
    y = 3 * X + 0.5
    model = nn.Linear(1, 1)
    history = fit(model, (X, y), loss_fn=nn.MSELoss(), epochs=100, batch_size=16, device="cpu",
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)
    assert history.train_acc[-1] is None
    assert history.train_loss[-1] < 1e-3


@pytest.mark.parametrize("loss_fn", [nn.NLLLoss(), nn.KLDivLoss(reduction="batchmean")])
def test_serves_log_probability_outputs(loss_fn):
    X, y = _circles()
    labels = y.view(-1).long()
    targets = nn.functional.one_hot(labels, 2).float() if isinstance(loss_fn, nn.KLDivLoss) else labels
    seed_everything(0)
    model = MLP(2, 16, 2, n_hidden_layers=2, output_activation="log_softmax")
    history = fit(model, (X, targets), loss_fn=loss_fn, epochs=15, batch_size=32, device="cpu",
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.02), verbose=False)
    assert history.train_loss[-1] >= 0
    assert history.train_acc[-1] >= 0.95


@pytest.mark.parametrize("loss_fn, outputs, targets, expected", [
    (nn.CrossEntropyLoss(), 3, torch.zeros(8), "class-index targets"),
    (nn.MSELoss(), 1, torch.zeros(8), "y.view(-1, 1)"),
    (nn.BCEWithLogitsLoss(), 1, torch.zeros(8, 1, dtype=torch.long), "float targets"),
    (nn.KLDivLoss(reduction="batchmean"), 3, torch.zeros(8, dtype=torch.long), "distributions"),
    # four logits with class indices: the hint names the multi-class loss, not a reshape
    (nn.BCEWithLogitsLoss(), 4, torch.zeros(8, dtype=torch.long), "use CrossEntropyLoss on (N, C) logits"),
])
def test_wrong_shapes_or_dtypes_raise_a_clear_value_error(loss_fn, outputs, targets, expected):
    model = nn.Linear(2, outputs)
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        fit(model, (torch.zeros(8, 2), targets), loss_fn=loss_fn, epochs=1, device="cpu",
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)


def test_summary_names_the_epoch_whose_weights_the_model_keeps():
    accuracies = dict(train_acc=[None] * 3, val_acc=[None] * 3)
    kept_best = History(train_loss=[1.0, 0.5, 0.4], val_loss=[0.9, 0.6, 0.7], best_epoch=2,
                        kept_epoch=2, keep_best=True, **accuracies)
    assert "weights kept from epoch 2 (lowest validation loss 0.6000)" in summarize(kept_best)
    kept_last = History(train_loss=[1.0, 0.5, 0.4], val_loss=[0.9, 0.6, 0.7], best_epoch=2,
                        kept_epoch=3, **accuracies)
    assert "lowest validation loss at epoch 2 (0.6000); the model keeps the last epoch's " \
           "weights" in summarize(kept_last)
    assert "weights kept" not in summarize(kept_last)


def test_the_summary_reads_the_same_whichever_epoch_wins():
    """On another CPU another epoch can have the lowest validation loss: only numbers change."""
    def line(best, keep_best):
        val_loss = [0.9, 0.6, 0.7] if best == 2 else [0.9, 0.7, 0.6]
        history = History(train_loss=[1.0, 0.5, 0.4], val_loss=val_loss, best_epoch=best,
                          kept_epoch=best if keep_best else 3, keep_best=keep_best,
                          train_acc=[None] * 3, val_acc=[None] * 3)
        return "".join(ch for ch in summarize(history) if not ch.isdigit())
    assert line(2, True) == line(3, True) and line(2, False) == line(3, False)
    no_validation = History(train_loss=[1.0, 0.5], train_acc=[None] * 2)
    assert summarize(no_validation) == "Epoch 2: train loss 0.5000"


def test_fit_records_the_kept_epoch():
    X, y = _circles()
    for keep_best in (True, False):
        model = MLP(2, 4, 1)
        history = fit(model, (X[:100], y[:100]), (X[100:200], y[100:200]), epochs=3,
                      device="cpu", loss_fn=nn.BCEWithLogitsLoss(), keep_best=keep_best,
                      optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)
        assert history.kept_epoch == (history.best_epoch if keep_best else 3)
        assert history.keep_best is keep_best


def test_callbacks_run_after_each_epoch():
    seen = []
    X, y = _circles()
    model = MLP(2, 4, 1)
    history = fit(model, (X[:100], y[:100]), (X[100:200], y[100:200]), epochs=3, device="cpu",
                  loss_fn=nn.BCEWithLogitsLoss(), callbacks=[lambda h: seen.append(len(h))],
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)
    assert seen == [1, 2, 3]
    assert list(history.to_frame().columns) == ["train_loss", "val_loss", "train_acc", "val_acc"]


def test_predict_thresholds_match_the_output_kind():
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    X = torch.tensor([[-0.2], [0.2], [0.7]])
    assert predict(model, X).tolist() == [0, 1, 1]  # logits: threshold 0
    assert predict(model, X, loss_fn=nn.MSELoss()).tolist() == [0, 0, 1]  # 0/1 regression: 0.5
    assert predict_outputs(model, X).shape == (3, 1)
    assert model.training  # predict restores the mode it found


def test_empty_data_is_reported():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, torch.zeros(0, 2), torch.zeros(0, 1), loss_fn=nn.MSELoss())


def test_history_is_a_plain_dataclass():
    history = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], best_epoch=2)
    assert len(history) == 2 and history.to_frame().index.name == "epoch"


def test_history_record_measures_an_epoch_in_evaluation_mode_and_keeps_the_mode():
    X, y = _circles()
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 1))
    model.train()
    history = History()
    loss_fn = nn.BCEWithLogitsLoss()
    history.record(model, loss_fn, (X[:600], y[:600]), (X[600:], y[600:]))
    history.record(model, loss_fn, (X[:600], y[:600]))
    assert model.training
    with torch.no_grad():
        model.eval()
        expected = loss_fn(model(X[600:]), y[600:]).item()
        accuracy = ((model(X[600:]) > 0).float() == y[600:]).float().mean().item()
    assert history.val_loss == [pytest.approx(expected, rel=1e-5)] and len(history.train_loss) == 2
    assert history.val_acc == [pytest.approx(accuracy)] and len(history) == 2
