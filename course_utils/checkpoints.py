"""Saved models and training checkpoints: written atomically, read back with a clear error.

``save_model``/``load_model`` keep a trained model with its constructor arguments;
``save_checkpoint``/``load_checkpoint`` hold what ``training.fit`` needs to resume an epoch.
"""
import dataclasses
import os
from pathlib import Path

import torch

from . import models


class CheckpointError(RuntimeError):
    """A saved model or checkpoint file that cannot be read."""


def _atomic_save(obj, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # never leave a half-written file behind


def _read(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises several types for a damaged file
        raise CheckpointError(f"cannot read {path}: {type(error).__name__}: {error}") from None


def save_model(model, path, config=None):
    """Write the weights and the constructor arguments (``model.config`` by default)."""
    config = dict(config if config is not None else getattr(model, "config", {}))
    _atomic_save({"class": type(model).__name__, "config": config,
                  "state_dict": model.state_dict()}, path)
    return Path(path)


def load_model(path, model_cls=None, device="cpu"):
    """Rebuild a model saved by :func:`save_model`; ``model_cls`` defaults to the saved class
    name looked up in ``course_utils.models``."""
    saved = _read(path)
    cls = model_cls or getattr(models, saved["class"], None)
    if cls is None:
        raise CheckpointError(f"{path} holds a {saved['class']}: pass model_cls to rebuild it")
    model = cls(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    return model.to(device)


def train_or_load(path, build, train, retrain=False):
    """Load the weights saved at ``path`` into ``build()``, or train the model and save it.

    ``train(model)`` runs only when there is no usable file (or ``retrain=True``); a damaged
    file is reported and the model is trained again.
    """
    model = build()
    if Path(path).exists() and not retrain:
        try:
            model.load_state_dict(_read(path)["state_dict"])
            print(f"Loaded trained model from {path}")
            return model
        except (CheckpointError, KeyError, RuntimeError) as error:
            print(f"{error}; training again")
    train(model)
    save_model(model, path)
    print(f"Saved trained model to {path}")
    return model


def save_checkpoint(path, model, optimizer, epoch, history, best_state=None):
    """Write everything needed to resume training after ``epoch``, including the weights of
    the best epoch so far (``best_state``) that ``fit(keep_best=True)`` restores at the end."""
    _atomic_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": epoch, "history": dataclasses.asdict(history),
                  "best_state": best_state}, path)


def load_checkpoint(path, model, optimizer):
    """Restore model and optimizer state in place; return (epoch, the history as a dict,
    best weights)."""
    saved = _read(path)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    return saved["epoch"], saved["history"], saved.get("best_state")
