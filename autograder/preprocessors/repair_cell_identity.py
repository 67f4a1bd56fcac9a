"""Careless but correct work is graded by what it contains, not by its cell metadata.

Students rename a cell's id, paste an answer cell from another notebook, strip or add
nbgrader metadata, or mark a cell as graded by mistake; nbgrader then refuses the whole
notebook. :class:`RepairCellIdentity` runs before nbgrader's own sanitizing: it matches the
student's cells to the release's cells (from the gradebook) by id, then by content, gives
matched cells the release's metadata and takes nbgrader metadata off cells that match nothing.
Each repair is noted on the submission's line.
"""
import ast
import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.grading.trusted_tests import split_hidden
from autograder.notes import add_note

SCHEMA_VERSION = 3
KNOWN_KEYS = {"grade", "grade_id", "locked", "points", "schema_version", "solution", "task",
              "cell_type", "checksum"}  # nbgrader's metadata schema 3


def defined_names(source):
    """Names a cell defines at top level (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)\s+(\w+)", source, re.M))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _essentials(meta):
    """What nbgrader reads from a cell's metadata (absent keys mean False or no points)."""
    points = meta.get("points")
    return (meta.get("grade_id"), bool(meta.get("grade")), bool(meta.get("locked")),
            bool(meta.get("solution")), bool(meta.get("task")),
            float(points) if meta.get("grade") and points is not None else None)


def _normalized(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


class ReleaseCell:
    """What the release says about one cell (from the gradebook)."""

    def __init__(self, source_cell, grade_points, is_solution, is_task):
        self.name = source_cell.name
        self.cell_type = source_cell.cell_type
        self.locked = bool(source_cell.locked)
        self.source = source_cell.source or ""
        self.points = grade_points
        self.solution = is_solution
        self.task = is_task

    def metadata(self):
        meta = {"grade": self.points is not None, "grade_id": self.name, "locked": self.locked,
                "schema_version": SCHEMA_VERSION, "solution": self.solution, "task": self.task}
        if self.points is not None:
            meta["points"] = self.points
        return meta

    def matches(self, cell):
        """Whether the student's ``cell`` is this cell, judged by its content."""
        if cell.cell_type != self.cell_type:
            return False
        if self.solution and self.cell_type == "code":
            wanted = defined_names(self.source)
            return bool(wanted) and wanted <= defined_names(cell.source)
        if self.locked:
            return _normalized(cell.source) in {_normalized(self.source),
                                                _normalized(split_hidden(self.source)[0])}
        return False


def _index(nb, cell):
    return next(i for i, c in enumerate(nb.cells) if c is cell)


def release_cells(gradebook, notebook, assignment):
    nb = gradebook.find_notebook(notebook, assignment)
    points = {cell.name: cell.max_score for cell in nb.grade_cells}
    solutions = {cell.name for cell in nb.solution_cells}
    tasks = {cell.name for cell in nb.task_cells}
    return [ReleaseCell(cell, points.get(cell.name), cell.name in solutions, cell.name in tasks)
            for cell in nb.source_cells]


class RepairCellIdentity(NbGraderPreprocessor):
    """Give every cell the release metadata it matches (by id, else by content)."""

    notes_dir = Unicode("", help="Folder for per-submission notes (autograder.notes)").tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        self._where = (info["assignment"], info["student"])
        with Gradebook(info["db_url"]) as gb:
            expected = release_cells(gb, info["notebook"], info["assignment"])
        self.repair(nb, expected)
        return nb, resources

    def repair(self, nb, expected):
        by_name = {cell.name: cell for cell in expected}
        placed, unmatched = {}, []  # release cell name -> the student's cell
        for index, cell in enumerate(nb.cells):
            name = cell.metadata.get("nbgrader", {}).get("grade_id")
            release = by_name.get(name)
            if release is not None and name not in placed and release.cell_type == cell.cell_type:
                placed[name] = cell
                if _essentials(cell.metadata.nbgrader) != _essentials(release.metadata()) \
                        or set(cell.metadata.nbgrader) - KNOWN_KEYS:
                    self._note(f"cell {index}: nbgrader metadata of '{name}' restored from the release")
                cell.metadata["nbgrader"] = release.metadata()
            else:
                unmatched.append((index, cell, name))
        for index, cell, name in unmatched:
            release = next((r for r in expected if r.name not in placed and r.matches(cell)), None) \
                or self._by_position(nb, cell, expected, placed)
            if release is not None:
                placed[release.name] = cell
                was = f"'{name}'" if name else "no nbgrader metadata"
                self._note(f"cell {index}: matched to '{release.name}' by its content (had {was})")
                cell.metadata["nbgrader"] = release.metadata()
            elif "nbgrader" in cell.metadata:
                del cell.metadata["nbgrader"]
                self._note(f"cell {index}: '{name}' is not a cell of this lesson: graded as ordinary code"
                           if name else f"cell {index}: stray nbgrader metadata removed")
        self._put_back_missing_graded_cells(nb, expected, placed)

    @staticmethod
    def _by_position(nb, cell, expected, placed):
        """A written answer keeps no code to match: it is the cell right after the release's
        previous cell, when that one was found."""
        for previous, release in zip(expected, expected[1:]):
            if release.name in placed or not release.solution or release.cell_type != cell.cell_type:
                continue
            before = placed.get(previous.name)
            if before is not None and _index(nb, before) + 1 == _index(nb, cell):
                return release
        return None

    def _put_back_missing_graded_cells(self, nb, expected, placed):
        """Graded cells the student deleted come back from the release, after the cell that
        precedes them there (nbgrader's own add_missing_cells fails when that cell is not a
        graded or answer cell)."""
        from nbformat.v4 import new_code_cell, new_markdown_cell

        for position, release in enumerate(expected):
            if release.name in placed or release.points is None:
                continue
            make = new_code_cell if release.cell_type == "code" else new_markdown_cell
            cell = make(source=release.source, metadata={"nbgrader": release.metadata()})
            after = next((placed[r.name] for r in reversed(expected[:position]) if r.name in placed), None)
            nb.cells.insert(0 if after is None else _index(nb, after) + 1, cell)
            placed[release.name] = cell
            self._note(f"'{release.name}' was missing: put back from the release")

    def _note(self, text):
        self.log.info(text)
        add_note(self.notes_dir, *self._where, text)
