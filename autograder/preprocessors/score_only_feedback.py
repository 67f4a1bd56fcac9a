"""Feedback with scores only (a lesson's ``feedback_visibility`` is "score"): the outputs of its
test cells, where the hints are, are left out; the scores stay."""
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output

WITHHELD = "(the tests' messages are not shown for this lesson: its score is above)\n"


class ScoreOnlyFeedback(Preprocessor):
    """Off unless enabled (``c.ScoreOnlyFeedback.enabled``): replaces each test cell's outputs
    with one line saying they are withheld."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.outputs = [new_output("stream", name="stdout", text=WITHHELD)]
        return cell, resources
