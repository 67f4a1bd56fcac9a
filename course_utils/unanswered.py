"""An exercise not answered yet says so in one line, not with a red traceback.

A released exercise holds ``raise NotImplementedError`` until the student writes the answer;
Run All reaches it in every fresh release. ``quiet_unanswered_cells`` (called by
``start_lesson``) makes a NotImplementedError raised by the notebook's own code show as one line
(the lesson's message, or what to do when there is none) instead of a traceback. Any other
error, and a NotImplementedError raised inside a library, keeps its traceback.
"""
import os

UNANSWERED = ("NotImplementedError: not answered yet: replace `raise NotImplementedError` with "
              "your code (cells that use this answer say [TODO] until then)")


def _raised_by_the_notebook(tb) -> bool:
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith("<ipython-input") or "ipykernel_" in os.path.dirname(filename)


def _one_line(shell, etype, value, tb, tb_offset=None):
    if tb is not None and _raised_by_the_notebook(tb):
        stb = [f"NotImplementedError: {value}" if str(value) else UNANSWERED]
    else:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    # IPython leaves showing a custom exception to its handler; _showtraceback is the hook it
    # documents for that (ipykernel sends the error output from it), so the cell still fails
    shell._showtraceback(etype, value, stb)
    return stb


def quiet_unanswered_cells() -> bool:
    """In IPython, show a bare ``raise NotImplementedError`` of a notebook cell as one line;
    returns whether it could (False outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((NotImplementedError,), _one_line)
    return True
