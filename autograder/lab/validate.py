"""What JupyterLab's Validate button runs, in a process of its own and with the course's
configuration wherever JupyterLab was started:
``python -m autograder.lab.validate NOTEBOOK`` prints nbgrader's answer as one JSON object,
``{"success": bool, "value": results or message}`` (what the Validate extension shows).

nbgrader fails a cell only when it raises; a self-check prints its verdict instead (so that Run
All goes on), so a cell that printed a ``[FAIL]`` or ``[TODO]`` line fails too, with those lines
as its error, and so does an answer that grading will refuse to run (the answer rules): Validate
never says "Success" while a self-check does not pass or an answer would score nothing.
"""
import json
import sys
import traceback
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.course import AUTOGRADER_DIR, ensure_venv_on_path
from course_utils.answer_rules import answer_problem


def course_config():
    """autograder/nbgrader_config.py: the cell time limit, the kernel, the ignored stderr."""
    ensure_venv_on_path()
    return PyFileConfigLoader("nbgrader_config.py", path=str(AUTOGRADER_DIR)).load_config()


VERDICTS_THAT_FAIL = ("[FAIL]", "[TODO]")


def self_check_verdicts(cell) -> list[str]:
    """The ``[FAIL]`` and ``[TODO]`` lines a cell printed."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return [line for line in text.splitlines() if line.startswith(VERDICTS_THAT_FAIL)]


def refused_answer(cell) -> str | None:
    """Why grading will not run this answer cell (``course_utils.answer_rules``), or None."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("solution"):
        return None
    problem = answer_problem(cell.get("source", ""))
    return f"[FAIL] {meta.get('grade_id', 'this answer')}: not run when graded: {problem}" if problem else None


def problems(cell) -> list[str]:
    """What Validate reports for a cell besides an error it raised."""
    refused = refused_answer(cell)
    return ([refused] if refused else []) + self_check_verdicts(cell)


def course_validator(config):
    """nbgrader's Validator that also fails the cells whose self-check did not pass and the
    answers grading would refuse."""
    from nbgrader.validator import Validator

    class CourseValidator(Validator):
        def _get_failed_cells(self, nb):
            raised = {id(cell) for cell in super()._get_failed_cells(nb)}
            return [cell for cell in nb.cells if id(cell) in raised or problems(cell)]

        def _extract_error(self, cell):
            found = problems(cell)
            return "\n".join(found) if found else super()._extract_error(cell)

    return CourseValidator(config=config)


def validate(path):
    from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError

    try:
        return {"success": True, "value": course_validator(course_config()).validate(str(path))}
    except SchemaTooOldError:
        return {"success": False, "value": f"The notebook {Path(path).name} uses an old nbgrader metadata "
                                           "format: back it up, then run `nbgrader update` on it."}
    except SchemaTooNewError:
        return {"success": False, "value": f"The notebook {Path(path).name} was made by a newer nbgrader: "
                                           "update nbgrader to validate it."}
    except Exception:  # noqa: BLE001 - shown to the student, as nbgrader's own handler does
        return {"success": False, "value": traceback.format_exc()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m autograder.lab.validate NOTEBOOK", file=sys.stderr)
        return 2
    print(json.dumps(validate(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
