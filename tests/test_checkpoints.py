"""Saving, loading and resuming."""
import pytest
import torch
from torch import nn

from course_utils.checkpoints import CheckpointError, load_model, save_model, train_or_load
from course_utils.models import MLP, LeNet
from course_utils.settings import seed_everything
from course_utils.training import fit, predict_outputs


def test_saved_model_reloads_with_identical_predictions(tmp_path):
    model = MLP(4, [8, 6], 3, dropout=0.1, output_activation="log_softmax")
    path = save_model(model, tmp_path / "mlp.pt")
    again = load_model(path)
    X = torch.randn(5, 4)
    assert type(again) is MLP and again.config == model.config
    assert torch.equal(predict_outputs(model, X), predict_outputs(again, X))


@pytest.mark.parametrize("model", [LeNet(), LeNet(n_classes=3)])
def test_cnns_round_trip(tmp_path, model):
    again = load_model(save_model(model, tmp_path / "cnn.pt"))
    X = torch.randn(2, 1, 28, 28)
    assert torch.equal(predict_outputs(model, X), predict_outputs(again, X))


def test_damaged_file_is_reported_and_retrained(tmp_path, capsys):
    path = tmp_path / "model.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_model(path)
    calls = []
    model = train_or_load(path, build=lambda: MLP(2, 4, 1), train=calls.append)
    assert len(calls) == 1 and "training again" in capsys.readouterr().out
    # the second call finds the file written by the first and does not train
    again = train_or_load(path, build=lambda: MLP(2, 4, 1), train=calls.append)
    assert len(calls) == 1
    assert torch.equal(again[0].weight, model[0].weight)


def _run(epochs, checkpoint, resume):
    seed_everything(0)
    X, y = torch.randn(200, 3), torch.randint(0, 2, (200,))
    model = MLP(3, 16, 2, dropout=0.3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, (X, y), (X[:50], y[:50]), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=optimizer, epochs=epochs, batch_size=32, device="cpu",
                  checkpoint=checkpoint, resume=resume, keep_best=False, verbose=False)
    return model, history


def test_resumed_training_repeats_an_uninterrupted_run(tmp_path):
    _, straight = _run(6, None, False)
    path = tmp_path / "ckpt.pt"
    _run(3, path, False)  # "interrupted" after 3 epochs
    resumed_model, resumed = _run(6, path, True)
    assert len(resumed) == 6
    assert resumed.train_loss == pytest.approx(straight.train_loss, rel=1e-6)


def test_resume_keeps_the_best_weights_from_before_the_interruption(tmp_path):
    """The best epoch falls before the interruption: the resumed run must still restore it."""
    torch.manual_seed(0)
    X, y = torch.randn(200, 3), torch.randint(0, 2, (200,))

    def run(epochs, resume):
        seed_everything(0)
        model = MLP(3, 16, 2)
        # a learning rate far too high: validation loss is lowest early, then blows up
        optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
        history = fit(model, (X, y), (X[:50], y[:50]), loss_fn=nn.CrossEntropyLoss(),
                      optimizer=optimizer, epochs=epochs, batch_size=32, device="cpu",
                      checkpoint=tmp_path / "ckpt.pt" if resume is not None else None,
                      resume=bool(resume), keep_best=True, verbose=False)
        return model, history

    straight_model, straight = run(8, None)
    run(7, False)  # interrupted after epoch 7
    resumed_model, resumed = run(8, True)
    assert straight.best_epoch < 7  # the best epoch comes before the interruption
    assert resumed.best_epoch == straight.best_epoch
    for a, b in zip(straight_model.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.allclose(a, b)
