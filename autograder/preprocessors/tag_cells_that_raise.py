"""TagCellsThatRaise: cells that raise on purpose are tagged so that Run All goes on."""


from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

RAISES = "raises-exception"


class TagCellsThatRaise(NbGraderPreprocessor):
    """In a release, tag the cells that raise until the student answers with JupyterLab's
    ``raises-exception``, so that Run All goes on past them to the end of the lesson.

    Those are the graded test cells (they call the unanswered functions) and answer cells whose
    top level raises (``raise NotImplementedError()`` outside a function). Grading is unchanged:
    nbgrader scores a cell by its outputs, not by its tags."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and (
                (utils.is_grade(cell) and not utils.is_solution(cell)) or _raises_at_top_level(cell.source)):
            tags = cell.metadata.setdefault("tags", [])
            if RAISES not in tags:
                tags.append(RAISES)
        return cell, resources


def _raises_at_top_level(source):
    import ast

    try:
        return any(isinstance(node, ast.Raise) for node in ast.parse(source).body)
    except SyntaxError:
        return False
