"""Simulated students: edit a released notebook the way a student would.

Cells are named by their nbgrader ``grade_id``. Every function edits the notebook in place
and returns it, so edits chain::

    nb = released(course, lesson)
    fill_with_solution(nb, reference_answers(course, lesson), ["square-answer"])
    replace_source(nb, "mean-answer", "def mean(values):\\n    return 0\\n")
    submit(course, "alice", lesson, nb)
"""
import copy
import json

import nbformat


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def find_cell(nb, cell_id):
    """The cell with nbgrader ``grade_id`` equal to ``cell_id``."""
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            return cell
    known = ", ".join(filter(None, map(grade_id, nb.cells)))
    raise KeyError(f"no cell with grade_id '{cell_id}' (known: {known})")


def answer_cells(nb):
    """grade_ids of the cells students write in (nbgrader solution cells)."""
    return [grade_id(c) for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def code_answer_cells(nb):
    return [grade_id(c) for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def released(course, lesson):
    """A fresh copy of the released student notebook."""
    return nbformat.read(str(course.release_notebook(lesson)), as_version=4)


def reference_answers(course, lesson):
    """{grade_id: source} of the answer cells in the source (reference) notebook."""
    nb = nbformat.read(str(course.source_notebook(lesson)), as_version=4)
    return {grade_id(cell): cell.source for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def fill_with_solution(nb, answers, cell_ids=None):
    """Put the reference solution into the given answer cells (all when None)."""
    for cell_id in answers if cell_ids is None else cell_ids:
        find_cell(nb, cell_id).source = answers[cell_id]
    return nb


def replace_source(nb, cell_id, source):
    find_cell(nb, cell_id).source = source
    return nb


def append_code(nb, cell_id, code):
    cell = find_cell(nb, cell_id)
    cell.source = cell.source.rstrip("\n") + "\n" + code
    return nb


def delete_cell(nb, cell_id):
    nb.cells.remove(find_cell(nb, cell_id))
    return nb


def duplicate_cell(nb, cell_id):
    """Insert a copy of a cell right after it (same grade_id, same cell id)."""
    cell = find_cell(nb, cell_id)
    nb.cells.insert(nb.cells.index(cell) + 1, copy.deepcopy(cell))
    return nb


def insert_code_cell(nb, after_cell_id, source):
    """A new (ungraded) code cell after the given cell, as a student would add."""
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.insert(nb.cells.index(find_cell(nb, after_cell_id)) + 1, cell)
    return nb


def submit(course, student, lesson, nb):
    """Write the notebook to submitted/<student>/<lesson>/ without validating it."""
    path = course.submitted_notebook(student, lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))
    return path


def submit_text(course, student, lesson, text):
    """Submit raw file content (e.g. a broken notebook)."""
    path = course.submitted_notebook(student, lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# Per-lesson specs (tests/student_sims/<lesson>.py): the partial submission (tests/student_sims/README.md).

def load_spec(path):
    """The PARTIAL of a student_sims spec file, checked for shape."""
    import importlib.util

    module_spec = importlib.util.spec_from_file_location(f"student_sims_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    partial = getattr(module, "PARTIAL", None)
    if not isinstance(partial, dict) or "score" not in partial:
        raise ValueError(f"{path}: PARTIAL must be a dict with 'solutions' and 'score'")
    return {"PARTIAL": partial}


def simulated_students(course, lesson, spec=None):
    """Submit the simulated students of a lesson; returns {student: expected score}.

    Always: ``sim-reference`` (every answer cell holds the reference solution, full marks:
    None) and ``sim-unanswered`` (the release untouched, zero). With a spec: ``sim-partial``.
    The lesson's mistakes are judged one exercise at a time (autograder/mutants/)."""
    answers = reference_answers(course, lesson)
    submit(course, "sim-reference", lesson, fill_with_solution(released(course, lesson), answers))
    submit(course, "sim-unanswered", lesson, released(course, lesson))
    expected = {"sim-reference": None, "sim-unanswered": 0.0}
    if spec is not None:
        partial = spec["PARTIAL"]
        nb = fill_with_solution(released(course, lesson), answers, partial.get("solutions", []))
        for cell_id, source in partial.get("replace", {}).items():
            replace_source(nb, cell_id, source)
        submit(course, "sim-partial", lesson, nb)
        expected["sim-partial"] = float(partial["score"])
    return expected
