"""What grading one submission gave: its score from the gradebook, or the reason there is none,
with notes on cells that timed out or crashed its kernel."""
import json
from dataclasses import dataclass, field

import nbformat

from autograder.notes import read_notes
from autograder.preprocessors.execute import KERNEL_DIED

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}


@dataclass
class Outcome:
    """What grading one submission gave: a score, or the reason there is none."""

    student: str
    lesson: str
    score: float = 0.0
    auto_max: float = 0.0
    manual_max: float = 0.0
    manual_pending: float = 0.0  # points of written answers not graded by hand yet
    manual_score: float = 0.0  # what those graded by hand got
    problem: str | None = None
    notes: list = field(default_factory=list)
    kept: bool = False  # unchanged since it was graded: not run again

    def line(self):
        where = f"{self.student} / {self.lesson}"
        if self.problem:
            return f"  {where}: NOT GRADED - {self.problem}"
        manual = (f" (+{self.manual_pending:g} to grade by hand)" if self.manual_pending else
                  f" (+{self.manual_score:g}/{self.manual_max:g} graded by hand)" if self.manual_max else "")
        notes = f"  [{'; '.join(self.notes)}]" if self.notes else ""
        kept = "  (unchanged: kept)" if self.kept else ""
        return f"  {where}: {self.score:g}/{self.auto_max:g}{manual}{notes}{kept}"


def without_byte_order_mark(path) -> list:
    """Remove a UTF-8 byte-order mark that an editor put before a notebook's JSON (nbformat
    refuses it); returns the note for the submission's line, or nothing."""
    try:
        if path.is_symlink() or not path.is_file() or path.open("rb").read(3) != b"\xef\xbb\xbf":
            return []
        path.write_bytes(path.read_bytes()[3:])
    except OSError:
        return []
    return ["byte-order mark removed"]


def notebook_problem(path):
    """Why a submitted notebook cannot be graded, or None when it can be read."""
    if not path.exists():
        others = sorted(p.name for p in path.parent.glob("*.ipynb"))
        found = f" (found: {', '.join(others)})" if others else ""
        return f"missing notebook: no {path.name} in {path.parent}{found}"
    try:
        nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        return f"not valid JSON ({str(error)[:200]})"
    except UnicodeDecodeError:
        return "not a text file"
    except Exception as error:  # noqa: BLE001 - nbformat raises several unrelated types for broken notebooks
        return f"not a valid notebook ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
    return None


def read_outcome(course, lesson, student, problem=None):
    """Score and maximum points from the gradebook, plus notes on crashes and timeouts."""
    from nbgrader.api import Gradebook, MissingEntry

    outcome = Outcome(student, lesson, problem=problem)
    if problem and problem.startswith("missing notebook"):
        outcome.notes = read_notes(course.log_dir, lesson, student)
        return outcome
    with Gradebook(course.db_url) as gb:
        try:
            submission = gb.find_submission(lesson, student)
        except MissingEntry:
            outcome.problem = problem or "no submission in the gradebook"
            return outcome
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell.cell_type == "code":
                    outcome.auto_max += grade.max_score
                    outcome.score += grade.auto_score or 0.0
                else:
                    outcome.manual_max += grade.max_score
                    if grade.needs_manual_grade:
                        outcome.manual_pending += grade.max_score
                    else:
                        outcome.manual_score += grade.score
    outcome.notes = read_notes(course.log_dir, lesson, student) + execution_notes(
        course.autograded_notebook(student, lesson))
    return outcome


def _code_cells(autograded):
    """(index, cell) of each code cell of an autograded notebook; none when it is missing."""
    if not autograded.exists():
        return []
    nb = nbformat.read(str(autograded), as_version=nbformat.NO_CONVERT)
    return [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def execution_notes(autograded):
    """Short notes about cells that timed out or crashed the kernel."""
    notes = []
    for index, cell in _code_cells(autograded):
        names = {out.get("ename") for out in cell.outputs if out.output_type == "error"}
        if names & TIMEOUT_ERRORS:
            notes.append(f"cell {index} timed out")
        if KERNEL_DIED in names:
            notes.append(f"kernel died in cell {index}; later cells not run")
    return notes


def broken_cells(autograded):
    """``cell N: error`` for each code cell that is not a test cell and ended in an error, timed
    out or did not run (a reference solution must run from top to bottom)."""
    from nbgrader import utils

    broken = []
    for index, cell in _code_cells(autograded):
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if errors and not utils.is_grade(cell):
            broken.append(f"cell {index}: {errors[-1].ename}: {str(errors[-1].evalue)[:160]}")
    return broken


def failed_test_cells(autograded):
    """``grade_id: error`` for each test cell of an autograded notebook that lost points."""
    from nbgrader import utils

    failed = []
    for _, cell in _code_cells(autograded):
        if utils.is_grade(cell):
            score, max_score = utils.determine_grade(cell)
            if score is not None and score < max_score:
                errors = [f"{out.ename}: {out.evalue}" for out in cell.outputs
                          if out.output_type == "error"]
                reason = (errors[-1] if errors else "output on stderr")[:200]
                failed.append(f"{cell.metadata.nbgrader['grade_id']}: {reason}")
    return failed
