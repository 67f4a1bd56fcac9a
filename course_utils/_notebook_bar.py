"""tqdm's notebook widget bar, shown through a display handle and saved as its final text line.

Imported only inside a Jupyter kernel: tqdm.notebook imports ipywidgets (a fifth of a second).
"""
from IPython.display import Pretty, display
from tqdm.notebook import tqdm as notebook_tqdm


class NotebookBar(notebook_tqdm):
    """A live widget bar whose output becomes plain text when the bar closes."""

    def __init__(self, *args, **kwargs):
        self._handle = None  # tqdm calls display() during __init__
        super().__init__(*args, **{**kwargs, "display": False})
        if not self.disable and self.delay <= 0:
            self._show()

    def display(self, *args, check_delay=True, **kwargs):
        # tqdm would display the container itself once a delay has passed; show it here instead
        super().display(*args, check_delay=False, **kwargs)
        if check_delay and self.delay > 0 and self._handle is None and not self.disable:
            self._show()

    def close(self):
        handle, self._handle = self._handle, None
        super().close()
        if handle is None:
            return
        handle.update(Pretty(self._text_line() if self.leave else ""))
        self.container.close()

    def _show(self):
        self._handle = display(self.container, display_id=True)
        self.displayed = True

    def _text_line(self):
        """The bar as tqdm prints it in a terminal (a widget bar's ncols may be '100%')."""
        ncols = self.ncols if isinstance(self.ncols, int) else None
        return self.format_meter(**{**self.format_dict, "ncols": ncols})
