"""JupyterLab's Validate (``autograder.lab.validate``) reports every self-check that did not pass.

nbgrader's Validator fails a cell only when it raises; the course's self-checks print ``[FAIL]``
or ``[TODO]`` and let Run All go on, so Validate must read those lines too.
"""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.lab.validate import validate

GRADED = {"grade": True, "solution": False, "locked": True, "points": 1, "schema_version": 3}


def _notebook(path, *sources):
    cells = [new_code_cell(source, metadata={"nbgrader": {**GRADED, "grade_id": f"ex{n}-check"}})
             for n, source in enumerate(sources, 1)]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_a_printed_fail_or_todo_fails_validation_with_its_hint(tmp_path):
    path = _notebook(tmp_path / "lesson.ipynb",
                     "print('[PASS] ex1')",
                     "print('checking...')\nprint('[FAIL] ex2: the loss wants probabilities')",
                     "print('[TODO] ex3: not attempted yet')",
                     "raise AssertionError('a test that raises')")
    answer = validate(path)
    assert answer["success"], answer
    failed = answer["value"]["failed"]
    assert [f["raw_error"].splitlines()[0] for f in failed[:2]] == [
        "[FAIL] ex2: the loss wants probabilities", "[TODO] ex3: not attempted yet"]
    assert "checking" not in failed[0]["raw_error"]
    assert len(failed) == 3 and "AssertionError" in failed[2]["raw_error"]


def test_a_notebook_whose_checks_all_pass_validates(tmp_path):
    path = _notebook(tmp_path / "lesson.ipynb", "print('[PASS] ex1')", "print('[PASS] ex2')")
    answer = validate(path)
    assert answer == {"success": True, "value": {}}, answer


def test_an_answer_grading_would_refuse_fails_validation(tmp_path):
    path = tmp_path / "lesson.ipynb"
    answer = {"grade": False, "solution": True, "locked": False, "schema_version": 3, "grade_id": "ex1-loss"}
    source = "import string\ndef l1_loss(p, t):\n    return (p - t).abs().mean()"
    check = {**GRADED, "grade_id": "ex1-check"}
    nb = new_notebook(cells=[new_code_cell(source, metadata={"nbgrader": answer}),
                             new_code_cell("print('[PASS] ex1')", metadata={"nbgrader": check})])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    failed = validate(path)["value"]["failed"]
    assert len(failed) == 1 and failed[0]["raw_error"].startswith("[FAIL] ex1-loss: not run when graded")
    assert "string" in failed[0]["raw_error"]
