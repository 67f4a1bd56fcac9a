"""Progress bars that still read well after a notebook is saved and reopened.

In a Jupyter kernel the bar is tqdm's ipywidgets bar while it runs; when it closes, its output
is replaced by the bar's final text line. Widget state is not saved with a notebook, so a
widget left in the outputs would read "Error displaying widget: model not found" on reopening.
Elsewhere it is tqdm's ordinary text bar.
"""
import os
import sys

from tqdm.std import tqdm as text_tqdm

# The environment variables that switch bars off: COURSE_PROGRESS=0 (the Makefile and the
# grader set it) and CI (set by CI services), whose logs a live bar would fill.
SWITCHES_OFF = ("COURSE_PROGRESS", "CI")


def switched_off(environ=os.environ):
    """Whether ``environ`` turns progress bars off (see ``SWITCHES_OFF``)."""
    return environ.get("COURSE_PROGRESS", "").strip() == "0" or bool(environ.get("CI"))


def shown_by_default(environ=os.environ) -> bool:
    """Whether a bar is shown when its caller does not say: in a Jupyter kernel or a terminal,
    unless ``environ`` switches bars off."""
    if switched_off(environ):
        return False
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def progress_bar(iterable=None, **tqdm_kwargs):
    """A tqdm bar over ``iterable``: a widget saved as text in a notebook, text elsewhere;
    hidden unless ``shown_by_default()`` when ``disable`` is not given."""
    tqdm_kwargs.setdefault("disable", not shown_by_default())
    if _in_widget_kernel():
        from ._notebook_bar import NotebookBar

        return NotebookBar(iterable, **tqdm_kwargs)
    return text_tqdm(iterable, **tqdm_kwargs)


def _in_widget_kernel():
    """True in a Jupyter kernel (not a terminal IPython) with ipywidgets installed."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True
