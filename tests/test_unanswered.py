"""An unanswered exercise reports itself in one line; other errors keep their traceback."""
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.unanswered import UNANSWERED


def test_a_not_implemented_error_of_a_cell_is_one_line_and_others_keep_their_traceback():
    nb = new_notebook(cells=[
        new_code_cell("from course_utils.unanswered import quiet_unanswered_cells\nquiet_unanswered_cells()"),
        new_code_cell("def loss(p, t):\n    # YOUR CODE HERE\n    raise NotImplementedError()\nloss(1, 2)"),
        new_code_cell("raise NotImplementedError('Exercise 4 is not done yet')"),
        new_code_cell("import torch\ntorch.nn.Module()(1)"),  # a library's own NotImplementedError
        new_code_cell("1 / 0"),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [[o for o in cell.outputs if o.output_type == "error"] for cell in nb.cells[1:]]
    assert all(len(e) == 1 for e in errors), errors
    unanswered, with_message, library, other = (e[0] for e in errors)
    assert unanswered.ename == "NotImplementedError" and unanswered.traceback == [UNANSWERED]
    assert with_message.traceback == ["NotImplementedError: Exercise 4 is not done yet"]
    for kept in (library, other):
        assert len(kept.traceback) > 1, kept.traceback
    assert other.ename == "ZeroDivisionError"
