"""Figures the lessons draw: learning curves, decision boundaries, image grids, confusion
matrices, activation functions, and showing animated GIFs inline.

Every ``plot_*`` helper shows its figure and closes it, so a notebook cell that ends with the
call leaves exactly one picture and no ``<Figure size ...>`` text. Pass ``show=False`` to get
the open Figure back instead (to save it or to add to it); helpers that take ``ax=`` only draw
into that axes and return its Figure, leaving showing it to the caller. One module per kind of
figure; ``figures`` shows them.
"""
from .activations import ACTIVATIONS, activation_curves, plot_activations
from .boundaries import plot_decision_boundary, plot_train_test_boundaries, predict_classes
from .curves import HISTORY_KEYS, LiveLossPlot, plot_histories, plot_history
from .figures import finish_axes, finish_figure, in_notebook, show_gif
from .images import CORRECT_COLOR, WRONG_COLOR, plot_confusion_matrix, plot_image_grid

__all__ = ["ACTIVATIONS", "CORRECT_COLOR", "HISTORY_KEYS", "LiveLossPlot", "WRONG_COLOR", "activation_curves",
           "finish_axes", "finish_figure", "in_notebook", "plot_activations", "plot_confusion_matrix",
           "plot_decision_boundary", "plot_histories", "plot_history", "plot_image_grid",
           "plot_train_test_boundaries", "predict_classes", "show_gif"]
