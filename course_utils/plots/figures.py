"""Showing a figure where the lesson runs (a notebook, a window, nowhere), and what the figure
helpers share: values as NumPy arrays, class labels checked, an axes to draw into, GIF files."""
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython import get_ipython
from IPython.display import Image, display

_NON_INTERACTIVE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, classic notebook, VS Code, nbclient)."""
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _interactive_backend() -> bool:
    backend = matplotlib.get_backend().lower()
    return backend not in _NON_INTERACTIVE_BACKENDS and "inline" not in backend


def finish_figure(fig, show):
    """Display and close ``fig`` when ``show``; otherwise return it open."""
    if not show:
        return fig
    if in_notebook():
        display(fig)
    elif _interactive_backend():
        plt.show()
    plt.close(fig)
    return None


def finish_axes(fig, ax, title=None, show=True):
    """The one-panel figures' ending: a light grid, the legend, ``title``, then
    :func:`finish_figure`."""
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return finish_figure(fig, show)


def as_numpy(values) -> np.ndarray:
    """A tensor (detached, on the CPU) or anything array-like as a NumPy array."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def class_indices(values, name) -> np.ndarray:
    """``values`` as integer class labels 0, 1, ...; ``name`` says which argument was wrong."""
    array = as_numpy(values).reshape(-1)
    if array.dtype.kind not in "biuf" or not np.all(np.mod(array, 1) == 0):
        raise ValueError(f"{name} must hold integer class labels 0, 1, ...; got {array[:5]}...")
    return array.astype(int)


def new_axes(ax, figsize):
    """The given axes, or the single axes of a new figure; also says who owns the figure."""
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax, True



def show_gif(path, show=True):
    """Display the GIF at ``path`` in the notebook (embedded, so the notebook keeps it).

    With ``show=False`` the ``IPython.display.Image`` is returned instead.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GIF at {path}; write the GIF file first")
    image = Image(filename=str(path), format="gif")
    if not show:
        return image
    if in_notebook():
        display(image)
    return None
