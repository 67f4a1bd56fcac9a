"""Lesson 2, the PyTorch workflow: stand-ins for exercises a student has not attempted yet.

Later cells of the lesson build on the exercises (the split, the models, the training). When an
exercise still raises ``NotImplementedError``, :func:`call_or_stand_in` says so and uses a
stand-in from this module, so the rest of the notebook still runs and the other exercises
can be done in any order.
"""
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from ..models import MLP
from ..training import fit


def call_or_stand_in(exercise, *args, stand_in, **kwargs):
    """Return ``exercise(*args, **kwargs)``; if it is not attempted yet, print a ``[TODO]`` line
    and return ``stand_in(*args, **kwargs)`` instead. Other errors are the student's to see."""
    try:
        return exercise(*args, **kwargs)
    except NotImplementedError:
        name = getattr(exercise, "__name__", "this exercise")
        print(f"[TODO] {name} is not attempted yet: using a stand-in so the rest of the "
              "notebook runs")
        return stand_in(*args, **kwargs)


def binary_split_tensors(X, y, test_size=0.2, seed=42):
    """Seeded train/test split as float32 tensors, labels as an (N, 1) float column."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size,
                                                        random_state=seed)
    features = [torch.as_tensor(a, dtype=torch.float32) for a in (X_train, X_test)]
    labels = [torch.as_tensor(a, dtype=torch.float32).reshape(-1, 1) for a in (y_train, y_test)]
    return features[0], features[1], labels[0], labels[1]


def linear_stack(in_features, hidden_features, out_features):
    """Two linear layers with nothing in between."""
    return MLP(in_features, hidden_features, out_features, activation="identity")


def binary_loss_and_sgd(model, lr=0.1):
    """Logit-based binary cross-entropy and plain SGD."""
    return nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr)


def relu_mlp(in_features, hidden_features, out_features):
    """Linear layers of the given widths with ReLU in between, ending in raw logits."""
    return MLP(in_features, list(hidden_features), out_features)


def train_binary(model, train_data, test_data, *, epochs, lr=0.003, device=None):
    """Adam and BCEWithLogitsLoss through ``fit``, recording test metrics every epoch."""
    return fit(model, train_data, test_data, loss_fn=nn.BCEWithLogitsLoss(),
               optimizer=torch.optim.Adam(model.parameters(), lr=lr), epochs=epochs,
               batch_size=32, device=device, keep_best=False)


def train_multiclass(X_train, y_train, X_test, y_test, *, n_classes, epochs, device=None):
    """A linear softmax classifier (raw logits + CrossEntropyLoss) trained with SGD."""
    model = nn.Linear(X_train.shape[1], n_classes)
    history = fit(model, (X_train, y_train), (X_test, y_test), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs,
                  batch_size=32, device=device, keep_best=False)
    return model, history
