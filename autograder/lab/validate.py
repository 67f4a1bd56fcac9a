"""What JupyterLab's Validate button runs, in a process of its own and with the course's
configuration wherever JupyterLab was started:
``python -m autograder.lab.validate NOTEBOOK`` prints nbgrader's answer as one JSON object,
``{"success": bool, "value": results or message}`` (what the Validate extension shows).
"""
import json
import sys
import traceback
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.course import AUTOGRADER_DIR, ensure_venv_on_path


def course_config():
    """autograder/nbgrader_config.py: the cell time limit, the kernel, the ignored stderr."""
    ensure_venv_on_path()
    return PyFileConfigLoader("nbgrader_config.py", path=str(AUTOGRADER_DIR)).load_config()


def validate(path):
    from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
    from nbgrader.validator import Validator

    try:
        return {"success": True, "value": Validator(config=course_config()).validate(str(path))}
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
