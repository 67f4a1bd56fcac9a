"""Tests for the loss comparison table and figure of lesson 1."""
import math

import matplotlib

matplotlib.use("Agg")

import pytest

from course_utils.lessons.l01_loss_functions import (
    comparison_table,
    plot_loss_comparison,
)
from course_utils.training import History


def _history(train_loss, val_loss, val_acc):
    return History(train_loss=list(train_loss), val_loss=list(val_loss),
                   train_acc=[None] * len(train_loss), val_acc=list(val_acc))


def test_table_reports_the_last_epoch_of_each_run():
    runs = {"MSE": _history([0.5, 0.3], [0.4, 0.25], [0.6, 0.7]),
            "broken": _history([-1, -50], [-2, -80], [0.4, None])}
    table = comparison_table(runs)
    assert list(table.index) == ["MSE", "broken"]
    assert table.loc["MSE", "train loss"] == 0.3
    assert table.loc["MSE", "validation loss"] == 0.25
    assert table.loc["MSE", "validation accuracy"] == 0.7
    assert table.loc["broken", "validation loss"] == -80
    assert math.isnan(table.loc["broken", "validation accuracy"])


def test_table_rejects_empty_input():
    with pytest.raises(ValueError):
        comparison_table({})
    with pytest.raises(ValueError, match="no epochs"):
        comparison_table({"untrained": History()})


def test_plot_uses_symlog_and_draws_the_baseline():
    runs = {"MSE": _history([0.5, 0.3], [0.4, 0.25], [0.6, 0.7]),
            "diverging": _history([-1, -50], [-2, -800], [0.4, 0.4])}
    fig = plot_loss_comparison(runs, baseline_accuracy=0.61, show=False)
    loss_ax, acc_ax = fig.axes[:2]
    assert loss_ax.get_yscale() == "symlog"
    assert len(loss_ax.lines) == 2
    baseline = [line for line in acc_ax.lines if line.get_label() == "majority class"]
    assert len(baseline) == 1 and list(baseline[0].get_ydata()) == [0.61, 0.61]
    assert loss_ax.lines[0].get_linestyle() != loss_ax.lines[1].get_linestyle()
    legend_labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend_labels == ["MSE", "diverging", "majority class"]
