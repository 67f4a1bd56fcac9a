"""A student with their own Unix account, who owns nothing of the course folder, runs every lesson.

Each release, answered with the reference, is copied into the home of an unprivileged user and
run there by that user (JupyterLab's Run All rules: a cell that raises stops it). Datasets and
saved models go to the user's own cache (``course_utils.settings.data_home``); the course folder
is only read.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from local_users import as_user

from autograder.authoring.simulate import fill_with_solution, reference_answers
from autograder.authoring.simulate import released as released_nb
from autograder.course import REPO_ROOT, Course
from autograder.instructor.release import release
from autograder.lab.validate import problems

pytestmark = pytest.mark.slow

LESSONS = Course.at(REPO_ROOT).lessons()
STUDENT = 65534  # nobody
RUN_ALL = """
import sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, path)
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if os.geteuid() != 0 or not (shutil.which("setpriv") and shutil.which("bwrap")):
        pytest.skip("needs root, setpriv and bwrap to act as a second user")  # the sandbox's needs too
    root = tmp_path_factory.mktemp("own-account")
    (root / "notebooks").symlink_to(REPO_ROOT / "notebooks", target_is_directory=True)
    course = Course.at(root)
    assert release(course, LESSONS, check=False, say=lambda line: None) == []
    return course


@pytest.fixture
def home(course):
    folder = Path(tempfile.mkdtemp(prefix="student-home-"))
    os.chown(folder, STUDENT, STUDENT)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_student(home, *command):
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "COURSE_QUICK": "1", "COURSE_PROGRESS": "0"}
    env.update({k: os.environ[k] for k in ("COURSE_MNIST_DIR",) if k in os.environ})
    return as_user("nobody", home, *command, env=env, timeout=900)


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_student_who_owns_nothing_of_the_course_runs_the_lesson(course, home, lesson):
    folder = home / lesson
    shutil.copytree(course.release_notebook(lesson).parent, folder)
    nb = released_nb(course, lesson)
    fill_with_solution(nb, reference_answers(course, lesson))
    path = folder / course.release_notebook(lesson).name
    nbformat.write(nb, str(path))
    (home / "run_all.py").write_text(RUN_ALL)
    for top, dirs, files in os.walk(home):
        for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
            os.chown(name, STUDENT, STUDENT)

    done = _as_student(home, sys.executable, str(home / "run_all.py"), str(path), str(folder))

    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    ran = nbformat.read(str(path), as_version=4)
    errors = [o for cell in ran.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    assert not errors, errors[0]
    reported = [line for cell in ran.cells for line in problems(cell)]
    assert not reported, f"Validate would not pass the reference: {reported}"
    if lesson == "02-pytorch-workflow":  # it saves a trained model: into the student's own cache
        assert list((home / ".cache" / "mlp-course" / "models").glob("*.pt"))
    owned = subprocess.run(["find", str(REPO_ROOT), "-path", str(REPO_ROOT / ".venv"), "-prune", "-o",
                            "-user", str(STUDENT), "-print"], capture_output=True, text=True).stdout
    assert not owned, f"the student wrote into the course folder: {owned[:500]}"


def test_the_student_path_gives_a_release_and_the_students_menus_only(home):
    lessons = home / "mlp-course"
    for run in range(2):
        done = _as_student(home, sys.executable, "-m", "autograder", "--course-dir", str(REPO_ROOT),
                           "workspace", str(lessons), "01-loss-functions",
                           "--config-dir", str(home / ".jupyter"))
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        notebook = lessons / "01-loss-functions" / "loss_functions.ipynb"
        if run == 0:
            text = notebook.read_text()
            assert "raise NotImplementedError" in text
            for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "autograder.hidden"):
                assert secret not in text, secret
            with open(notebook, "a") as work:  # the student's work, which a second run keeps
                work.write(" ")
    assert notebook.read_text().endswith(" ") and "your work is there" in done.stdout
    pages = json.loads((home / ".jupyter" / "labconfig" / "page_config.json").read_text())
    hidden = {name for name, off in pages["disabledExtensions"].items() if off}
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:assignment-list"} <= hidden
    server = json.loads((home / ".jupyter" / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["autograder.lab.extension"] and not extensions["nbgrader.server_extensions.formgrader"]
    assert "Exchange.root" not in (home / ".jupyter" / "nbgrader_config.py").read_text()
