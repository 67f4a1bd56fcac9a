"""Fast checks of the autograder pieces that need no kernel."""
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config.loader import PyFileConfigLoader

from autograder.authoring import simulate as sim
from autograder.cli import main
from autograder.course import REPO_ROOT, Course
from autograder.grading.one_submission import failure_reason
from autograder.grading.outcome import notebook_problem
from autograder.instructor.export import format_table
from autograder.instructor.grade_records import AWAITING, FAILED, GRADED, MISSING, GradeRecord
from autograder.instructor.lms_import import import_flat_folder, sanitize_student_id
from autograder.preprocessors.hide_hidden_tests import HIDDEN, HideHiddenTests
from autograder.preprocessors.truncate_outputs import TruncateLongOutputs

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


@pytest.mark.parametrize("name,expected", [
    ("alice", "alice"), ("Alice Smith", "alice-smith"), ("José_García", "jose_garcia"),
    ("../../etc/passwd", "etc-passwd"), ("  bob (2) ", "bob-2"), ("***", ""),
])
def test_sanitize_student_id(name, expected):
    assert sanitize_student_id(name) == expected


def test_import_flat_folder(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name in ("Alice Smith.ipynb", "bob.IPYNB", "alice-smith.ipynb", "notes.txt", "!!!.ipynb"):
        (downloads / name).write_text("{}")
    course = Course.at(tmp_path, FIXTURES)
    lines = []
    imported = import_flat_folder(course, downloads, "00-fixture", say=lines.append)
    assert imported == ["alice-smith", "bob"]
    assert course.submitted_notebook("bob", "00-fixture").exists()
    assert (course.submitted_dir("bob", "00-fixture") / "timestamp.txt").read_text().startswith("20")
    assert any("notes.txt" in line and "not a .ipynb" in line for line in lines)
    assert any("already taken" in line for line in lines)
    assert any("!!!.ipynb" in line for line in lines)


def test_notebook_problem(tmp_path):
    assert notebook_problem(tmp_path / "nb.ipynb").startswith("missing notebook")
    (tmp_path / "nb.ipynb").write_text('{"cells": [')
    assert notebook_problem(tmp_path / "nb.ipynb").startswith("not valid JSON")
    nbformat.write(new_notebook(), tmp_path / "nb.ipynb")
    assert notebook_problem(tmp_path / "nb.ipynb") is None


def test_config_sets_timeout_stderr_pattern_and_preprocessors(monkeypatch):
    monkeypatch.delenv("COURSE_CELL_TIMEOUT", raising=False)
    config = Course.at(REPO_ROOT).config()
    assert config.Execute.timeout == 300
    assert config.OverwriteCells.add_missing_cells is True
    names = [cls.__name__ for cls in config.Autograde.autograde_preprocessors]
    assert names[0] == "ExecuteAndJudge" and "IgnorePattern" in names
    sanitize = [cls.__name__ for cls in config.Autograde.sanitize_preprocessors]
    assert sanitize.index("RepairCellIdentity") < sanitize.index("OverwriteCells")
    assert config.Execute.kernel_manager_class == "autograder.sandbox.kernel_manager.SandboxedKernelManager"
    assert "kernel_manager_class" not in Course.at(REPO_ROOT, sandbox=False).config().Execute
    assert Course.at(REPO_ROOT, timeout=7).config().Execute.timeout == 7
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "11")
    assert Course.at(REPO_ROOT).config().Execute.timeout == 11


def test_root_config_loads_the_course_config():
    root = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT)).load_config()
    assert root.CourseDirectory.source_directory == "notebooks"
    assert root.IgnorePattern.enabled is True


@pytest.mark.parametrize("stderr,ignored", [
    ("/x/y.py:3: UserWarning: slow\n  warnings.warn('slow')\n", True),
    ("FutureWarning: the default will change\n", True),
    (" 40%|####      | 2/5 [00:01<00:02,  1.50it/s]", True),
    ("WARNING:root:averaging 3 values\n", True),
    ("something went badly\n", False),
])
def test_ignored_stderr_pattern(stderr, ignored):
    pattern = Course.at(REPO_ROOT).config().IgnorePattern.pattern
    assert bool(re.search(pattern, stderr)) is ignored


def _test_cell(source, outputs):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata.nbgrader = {"grade": True, "solution": False, "locked": True,
                              "grade_id": "t", "points": 1, "schema_version": 3}
    return cell


def test_hide_hidden_tests_keeps_the_message_only():
    hidden_line = 'assert f(-1) == 1, "f must handle negatives"'
    error = new_output("error", ename="AssertionError", evalue="f must handle negatives",
                       traceback=["Traceback", f"----> 3 {hidden_line}", "AssertionError: ..."])
    test = _test_cell(f"assert f(1) == 1\n### BEGIN HIDDEN TESTS\n{hidden_line}\n### END HIDDEN TESTS",
                      [error])
    echo = new_code_cell("print(In)", outputs=[new_output("stream", name="stdout", text=f"['', '{hidden_line}']")])
    nb, _ = HideHiddenTests().preprocess(new_notebook(cells=[test, echo]), {})
    assert nb.cells[0].source == "assert f(1) == 1"
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: f must handle negatives"]
    assert hidden_line not in nb.cells[1].outputs[0].text and HIDDEN in nb.cells[1].outputs[0].text


def test_truncate_long_outputs():
    cell = new_code_cell("", outputs=[new_output("stream", name="stdout", text="x" * 50)])
    preprocessor = TruncateLongOutputs(max_chars=10)
    cell, _ = preprocessor.preprocess_cell(cell, {}, 0)
    assert cell.outputs[0].text.startswith("x" * 10) and "truncated" in cell.outputs[0].text


def test_failure_reason_prefers_the_real_exception():
    log = ("[ERROR] There was an error processing assignment\nTraceback (most recent call last):\n"
           "  File x\nKeyError: 'grade_id'\n[ERROR] ...\nnbgrader.converters.base.NbGraderException: see above\n")
    assert failure_reason(log) == "KeyError: 'grade_id'"
    assert failure_reason("[ERROR] Kernel died\n") == "Kernel died"
    generic = ("[ERROR] There was an error processing assignment: /c/submitted/s/l\n"
               "[ERROR] Notebook JSON is invalid: 'grade_id' is a required property\n")
    assert failure_reason(generic) == "Notebook JSON is invalid: 'grade_id' is a required property"
    assert "There was an error" not in failure_reason("[ERROR] There was an error processing x\n")


def test_autograde_stops_with_one_line_when_the_sandbox_is_missing(tmp_path, monkeypatch):
    from autograder.course import InstructorError
    from autograder.grading.batch import autograde
    from autograder.sandbox import bubblewrap as sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.sandbox_unavailable() == "bubblewrap is not installed: apt-get install bubblewrap"
    with pytest.raises(InstructorError, match="cannot sandbox the submissions: bubblewrap is not installed"):
        autograde(Course.at(tmp_path), "00-fixture", [], say=lambda line: None)
    warned = []
    autograde(Course.at(tmp_path, sandbox=False), "00-fixture", [], say=warned.append)
    assert warned and "WITHOUT a sandbox" in warned[0]


def test_format_table_marks_missing_pending_and_failed_work():
    def record(student, lesson, status, score=None):
        return GradeRecord(lesson, student, {"01-a": 4.0, "02-b": 2.0}[lesson], status, score=score)

    table = format_table([record("ann", "01-a", GRADED, 3.0), record("ann", "02-b", MISSING),
                          record("bo", "01-a", AWAITING), record("bo", "02-b", GRADED, 1.5),
                          record("cy", "01-a", FAILED), record("cy", "02-b", GRADED, 0.0)])
    lines = table.splitlines()
    assert lines[0].split() == ["student", "01-a", "02-b", "total", "missing", "pending"]
    assert lines[2].split() == ["ann", "3", "-", "3", "1", "0"]
    assert lines[3].split() == ["bo", "pending", "1.5", "1.5", "0", "1"]
    assert lines[4].split() == ["cy", "NOT", "GRADED", "0", "0", "0", "0"]


def test_simulate_names_unknown_cells():
    nb = nbformat.read(str(FIXTURES / "00-fixture" / "fixture.ipynb"), as_version=4)
    assert sim.code_answer_cells(nb) == ["square-answer", "mean-answer", "softmax-answer"]
    with pytest.raises(KeyError, match="no cell with grade_id 'nope'"):
        sim.find_cell(nb, "nope")


def test_load_spec_rejects_malformed_specs(tmp_path):
    bad = tmp_path / "01-x.py"
    bad.write_text("PARTIAL = {'solutions': ['a']}\n")
    with pytest.raises(ValueError, match="PARTIAL must be a dict with 'solutions' and 'score'"):
        sim.load_spec(bad)


@pytest.mark.parametrize("args,message", [
    (["--course-dir", "/nonexistent-course", "export"], "is not a folder"),
    (["autograde", "--workers", "0"], "--workers"),
    (["autograde", "--submissions", "."], "needs --lesson"),
    (["release", "99-nope"], "unknown lesson"),
    (["autograde", "00-fixture"], "run release first"),
    (["--timeout", "0", "export"], "--timeout"),
])
def test_cli_instructor_errors_exit_non_zero_with_one_line(tmp_path, capsys, args, message):
    if "--course-dir" not in args:
        args = ["--course-dir", str(tmp_path), "--source", str(FIXTURES)] + args
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_cli_rejects_unknown_commands():
    with pytest.raises(SystemExit) as exit_info:
        main(["grade-everything"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("stderr,points", [
    ("/x.py:3: UserWarning: slow\n  warnings.warn('slow')\n", 1.0),
    ("something went badly\n", 0.0),  # nbgrader's rule: other stderr output fails the cell
])
def test_configured_ignore_pattern_keeps_points_of_a_warning_test_cell(stderr, points):
    from nbgrader.preprocessors import IgnorePattern
    from nbgrader.utils import determine_grade

    cell = _test_cell("assert True", [new_output("stream", name="stderr", text=stderr)])
    preprocessor = IgnorePattern(config=Course.at(REPO_ROOT).config())
    cell, _ = preprocessor.preprocess_cell(cell, {}, 0)
    assert determine_grade(cell) == (points, 1.0)
