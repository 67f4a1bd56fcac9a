"""Tests for lesson 3's classifier grids and regression fits, and plots.plot_histories."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from course_utils import History
from course_utils.lessons.l03_comparison import (
    compare_classifiers,
    plot_classifier_comparison,
    plot_regression_fits,
)
from course_utils.plots import plot_histories


@pytest.fixture(autouse=True)
def no_leftover_figures():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def comparison():
    datasets = {"moons": make_moons(200, noise=0.1, random_state=0),
                "blobs": make_blobs(200, centers=2, random_state=0)}
    classifiers = {"logistic": LogisticRegression(), "3-NN": KNeighborsClassifier(3)}
    return compare_classifiers(classifiers, datasets, test_size=0.25, seed=0)


def test_scores_table_has_one_row_per_dataset_and_one_column_per_classifier(comparison):
    assert list(comparison.scores.index) == ["moons", "blobs"]
    assert list(comparison.scores.columns) == ["logistic", "3-NN"]
    # a nonlinear classifier beats a linear one on moons
    assert comparison.scores.loc["moons", "3-NN"] > comparison.scores.loc["moons", "logistic"]
    _, X_test, _, y_test = comparison.splits["moons"]
    assert len(X_test) == 50
    model = comparison.fitted["moons"]["3-NN"]
    assert comparison.scores.loc["moons", "3-NN"] == model.score(X_test, y_test)


def test_each_dataset_gets_its_own_fitted_copy(comparison):
    a, b = comparison.fitted["moons"]["logistic"], comparison.fitted["blobs"]["logistic"]
    assert a is not b and not np.allclose(a.coef_, b.coef_)


def test_same_seed_gives_same_split():
    data = {"moons": make_moons(100, noise=0.2, random_state=1)}
    one = compare_classifiers({"lr": LogisticRegression()}, data, seed=3)
    two = compare_classifiers({"lr": LogisticRegression()}, data, seed=3)
    np.testing.assert_array_equal(one.splits["moons"][1], two.splits["moons"][1])


def test_grid_figure_has_data_column_and_score_labels(comparison):
    fig = plot_classifier_comparison(comparison, resolution=20, show=False)
    axes = fig.get_axes()
    assert len(axes) == 2 * 3
    texts = [t.get_text() for ax in axes for t in ax.texts]
    assert f"{comparison.scores.loc['blobs', '3-NN']:.2f}" in texts
    assert axes[0].get_title() == "data" and axes[1].get_title() == "logistic"


def test_multiclass_classifier_is_drawn_by_predicted_class():
    X, y = make_blobs(150, centers=3, random_state=0)
    comparison = compare_classifiers({"lr": LogisticRegression()}, {"three": (X, y)})
    fig = plot_classifier_comparison(comparison, resolution=10, show=False)
    assert len(fig.get_axes()) == 2


@pytest.mark.parametrize("data, message", [
    ((np.zeros((10, 3)), np.zeros(10)), "shape"),
    ((np.zeros((10, 2)), np.zeros(9)), "rows"),
    ("not a pair", "pair"),
])
def test_bad_datasets_are_reported(data, message):
    with pytest.raises(ValueError, match=message):
        compare_classifiers({"lr": LogisticRegression()}, {"bad": data})


def test_empty_inputs_are_reported():
    with pytest.raises(ValueError, match="at least one"):
        compare_classifiers({}, {"moons": make_moons(20)})


def test_plot_histories_draws_one_line_per_run():
    runs = {"relu": History(train_loss=[1, 0.5], val_loss=[1.1, 0.7], val_acc=[0.5, 0.8]),
            "tanh": History(train_loss=[1, 0.6], val_loss=[1.2, 0.9], val_acc=[0.4, 0.7])}
    fig = plot_histories(runs, show=False)
    loss_ax, acc_ax = fig.get_axes()
    assert [line.get_label() for line in loss_ax.lines] == ["relu", "tanh"]
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [0.4, 0.7])


def test_plot_histories_rejects_unknown_or_missing_metrics():
    runs = {"a": History(train_loss=[1.0])}
    with pytest.raises(ValueError, match="unknown metric"):
        plot_histories(runs, metrics=("val_f1",), show=False)
    with pytest.raises(ValueError, match="no run recorded"):
        plot_histories(runs, metrics=("val_loss",), show=False)


def test_regression_fits_are_drawn_in_x_order():
    x = np.array([2.0, 0.0, 1.0])
    fig = plot_regression_fits(x, x ** 2, {"model": x ** 2}, show=False)
    line = fig.get_axes()[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(line.get_ydata(), [0, 1, 4])
    with pytest.raises(ValueError, match="predictions"):
        plot_regression_fits(x, x, {"short": x[:2]}, show=False)
