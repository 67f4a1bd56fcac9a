"""Reference architectures shared by the lessons."""
import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}
OUTPUT_ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
    "log_softmax": lambda: nn.LogSoftmax(dim=1),
}


def _make_activation(activation, table):
    if activation is None:
        return None
    if isinstance(activation, nn.Module):
        return activation
    if isinstance(activation, str):
        if activation not in table:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(table)}")
        return table[activation]()
    return activation()  # an nn.Module class such as nn.ReLU


class MLP(nn.Sequential):
    """A multilayer perceptron: ``Linear -> activation (-> Dropout)`` blocks, then a linear head.

    ``hidden_features`` is one width repeated ``n_hidden_layers`` times, or a list of widths.
    ``output_activation`` is ``None`` (raw outputs, e.g. logits), a name from
    ``OUTPUT_ACTIVATIONS`` or a module.
    """

    def __init__(self, in_features, hidden_features, out_features, n_hidden_layers=1,
                 activation="relu", output_activation=None, dropout=0.0):
        widths = list(hidden_features) if isinstance(hidden_features, (list, tuple)) \
            else [hidden_features] * n_hidden_layers
        layers, previous = [], in_features
        for width in widths:
            layers += [nn.Linear(previous, width), _make_activation(activation, ACTIVATIONS)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            previous = width
        layers.append(nn.Linear(previous, out_features))
        head = _make_activation(output_activation, OUTPUT_ACTIVATIONS)
        if head is not None:
            layers.append(head)
        super().__init__(*layers)
        self.config = dict(in_features=in_features, hidden_features=hidden_features,
                           out_features=out_features, n_hidden_layers=n_hidden_layers,
                           activation=activation, output_activation=output_activation,
                           dropout=dropout)

    def forward(self, x):
        return super().forward(x.flatten(1) if x.dim() > 2 else x)


class LeNet(nn.Module):
    """A LeNet-5 style CNN: two conv/pool stages and three fully connected layers."""

    def __init__(self, in_channels=1, n_classes=10, image_size=28):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, in_channels, image_size, image_size)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(n_flat, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, n_classes),
        )
        self.config = dict(in_channels=in_channels, n_classes=n_classes, image_size=image_size)

    def forward(self, x):
        return self.classifier(self.features(x))
