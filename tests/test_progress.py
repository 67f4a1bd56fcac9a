"""Progress bars: a live widget in a notebook that is saved as a text line; text elsewhere."""
import io
import os
import sys
import types
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from tqdm.std import tqdm as text_tqdm

from course_utils.progress import SWITCHES_OFF, progress_bar

REPO = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

FIT_TWO_EPOCHS = """\
import torch
from torch import nn
from course_utils.training import fit

torch.manual_seed(0)
X, y = torch.randn(8, 2), torch.randn(8, 1)
model = nn.Linear(2, 1)
history = fit(model, (X, y), loss_fn=nn.MSELoss(), epochs=2, device="cpu", verbose=False,
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
"""


class RecordingClient(NotebookClient):
    """Records the mime types of every output the kernel sends, before any display update."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = []

    def output(self, outs, msg, display_id, cell_index):
        self.sent.append(set(msg["content"].get("data", {})))
        return super().output(outs, msg, display_id, cell_index)


def test_outside_a_kernel_the_bar_is_tqdms_text_bar():
    out = io.StringIO()
    bar = progress_bar(range(3), file=out, desc="Training", disable=False)
    assert type(bar) is text_tqdm and list(bar) == [0, 1, 2]
    bar.close()
    assert "Training: 100%|" in out.getvalue() and "3/3" in out.getvalue()
    assert progress_bar(range(3), disable=True).disable


def test_a_notebook_saves_the_final_text_line_of_fits_bar_and_no_widget():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(FIT_TWO_EPOCHS),
        nbformat.v4.new_code_cell("from course_utils.progress import progress_bar\n"
                                  "for _ in progress_bar(range(3), leave=False): pass"),
        nbformat.v4.new_code_cell("for _ in progress_bar(range(3), disable=True): pass"),
    ])
    # COURSE_PROGRESS=0 (the Makefile's) and CI turn bars off; a student's kernel has neither
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES_OFF}
    client = RecordingClient(nb, kernel_name="python3", timeout=60,
                             resources={"metadata": {"path": str(REPO)}})
    client.execute(env=env)

    assert sum(WIDGET_VIEW in sent for sent in client.sent) == 2  # both bars were live widgets

    fit_outputs, loop_outputs, disabled_outputs = (cell.outputs for cell in nb.cells)
    assert not [o for cell in nb.cells for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
    texts = [o["data"]["text/plain"] for o in fit_outputs if o.output_type == "display_data"]
    assert len(texts) == 1 and texts[0].startswith("Training: 100%|") and " 2/2 " in texts[0]
    assert [o["data"] for o in loop_outputs] == [{"text/plain": ""}]  # leave=False: blanked
    assert disabled_outputs == []


def test_a_bar_is_hidden_by_default_where_bars_are_switched_off(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert progress_bar(range(3)).disable
    monkeypatch.delenv("COURSE_PROGRESS")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", sys.modules.get("ipykernel") or types.ModuleType("ipykernel"))
    assert not progress_bar(range(3), file=io.StringIO()).disable
