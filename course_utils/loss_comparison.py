"""Compare runs of the same model trained with different loss functions.

Each loss has its own unit (an L1 loss of 0.3 and a cross-entropy of 0.5 cannot be ranked),
so the table and the figure put the loss next to the one number every run shares: the
validation accuracy.
"""
import itertools
import math

import pandas as pd

from .comparison import plot_histories
from .plots import _finish


def _last(values):
    return values[-1] if values else math.nan


def comparison_table(histories: dict) -> pd.DataFrame:
    """One row per run: last-epoch training and validation loss and validation accuracy."""
    if not histories:
        raise ValueError("give at least one history, e.g. {'MSE': history}")
    rows = {}
    for name, history in histories.items():
        if not len(history):
            raise ValueError(f"run {name!r} has no epochs: train it before comparing")
        accuracy = _last(history.val_acc)
        rows[name] = {
            "train loss": _last(history.train_loss),
            "validation loss": _last(history.val_loss),
            "validation accuracy": math.nan if accuracy is None else accuracy,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "loss"
    return table


def plot_loss_comparison(histories: dict, baseline_accuracy=None, title=None, show=True):
    """Validation loss (symmetric log scale, so a diverging run fits) and validation accuracy
    per epoch, one curve per run; ``baseline_accuracy`` draws a dashed reference line.

    Runs get different line styles, so identical runs drawn on top of each other stay visible,
    and one legend to the right of both panels names them.
    """
    fig = plot_histories(histories, metrics=("val_loss", "val_acc"), title=title, show=False)
    loss_ax, acc_ax = fig.axes[:2]
    for ax in (loss_ax, acc_ax):
        styles = itertools.cycle([("-", 1.5), ("--", 2.0), (":", 2.5), ("-.", 2.0)])
        for line, (style, width) in zip(ax.lines, styles):
            line.set_linestyle(style)
            line.set_linewidth(width)
        ax.get_legend().remove()
    loss_ax.set_yscale("symlog", linthresh=1.0)
    loss_ax.set_title("validation loss (symlog scale)")
    if baseline_accuracy is not None:
        acc_ax.axhline(baseline_accuracy, color="grey", linestyle="--", linewidth=1,
                       label="majority class")
    handles, labels = acc_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.78, 0.5),
               fontsize="small")
    fig.set_size_inches(12, 4)
    fig.tight_layout(rect=(0, 0, 0.78, 1))
    return _finish(fig, show)


__all__ = ["comparison_table", "plot_loss_comparison"]
