"""What a submission folder carries into grading: its own regular files only.

Links and FIFOs placed next to the notebook in ``submitted/<student>/<lesson>/``
would be followed or opened by nbgrader's copy of a submission's extra files, which runs with
the instructor's rights, and land in the folder the sandbox runs in. Each kind here is graded
in one batch, in this process and on the grading cluster; none may bring the course secret,
the gradebook, a source notebook or a hidden-test helper into the kernel, its outputs or the
feedback.
"""
import os
from pathlib import Path

import pytest
from fixture_course import LESSON, full_solution, new_fixture_course

import autograder.hidden
from autograder.authoring import simulate as sim
from autograder.grading.batch import grade_batch
from autograder.instructor.feedback import generate_feedback
from autograder.instructor.lms_import import import_flat_folder

pytestmark = pytest.mark.slow

# The extra cell every planted submission runs: print whatever the planted names hold.
READER = ("import os\n"
          "for name in sorted(os.listdir('.')):\n"
          "    try:\n"
          "        with open(name, 'rb') as f:\n"
          "            data = f.read(4096)\n"
          "        print(name, data.hex(), data[::-1])\n"
          "    except OSError as error:\n"
          "        print(name, type(error).__name__)\n")


def _plants(course):
    """{student: (what to plant in its submitted folder, expected notes)}."""
    secret, source = course.secret_file, course.source_notebook(LESSON)
    helper = Path(autograder.hidden.__file__).with_name("l01_loss_functions.py")

    def link(target, name="planted"):
        return lambda folder: (folder / name).symlink_to(target)

    def chain(folder):
        (folder / "hop").symlink_to(secret)
        (folder / "planted").symlink_to(folder / "hop")

    return {
        "link-to-secret": (link(secret), ["left out planted: a symbolic link"]),
        "link-to-gradebook": (link(course.db_path), ["left out planted: a symbolic link"]),
        "link-to-source-notebook": (link(source), ["left out planted: a symbolic link"]),
        "link-to-hidden-helper": (link(helper), ["left out planted: a symbolic link"]),
        "relative-link": (link("../../../.autograder-secret"), ["left out planted: a symbolic link"]),
        "link-to-course-folder": (link(course.root), ["left out planted: a symbolic link"]),
        "link-chain": (chain, ["left out hop: a symbolic link", "left out planted: a symbolic link"]),
        "fifo": (lambda folder: os.mkfifo(folder / "planted"), ["left out planted: a FIFO"]),
    }


@pytest.fixture(scope="module", params=[1, 2], ids=["inline", "dask"])
def graded(tmp_path_factory, request):
    # the answers read the planted entries: the layer beneath the answer rules
    course = new_fixture_course(tmp_path_factory.mktemp("perimeter") / "course", timeout=20, answer_rules=False)
    sim.submit(course, "victim", LESSON, full_solution(course))
    plants = _plants(course)
    for student, (plant, _) in plants.items():
        sim.submit(course, student, LESSON, sim.append_code(full_solution(course), "square-answer", READER))
        plant(course.submitted_dir(student, LESSON))
    # the notebook itself a link to the reference solution
    sim.submit(course, "notebook-is-a-link", LESSON, full_solution(course))
    notebook = course.submitted_notebook("notebook-is-a-link", LESSON)
    notebook.unlink()
    notebook.symlink_to(course.source_notebook(LESSON))
    lines = []
    report = grade_batch(course, [(LESSON, None)], workers=request.param, say=lines.append)
    for student in plants:
        generate_feedback(course, LESSON, student)
    return course, plants, {o.student: o for o in report.outcomes}, lines


def test_planted_entries_are_left_out_and_named_on_the_line(graded):
    course, plants, outcomes, _ = graded
    for student, (_, notes) in plants.items():
        outcome = outcomes[student]
        assert outcome.problem is None and outcome.score == 6, outcome.line()
        assert sorted(n for n in outcome.notes if n.startswith("left out")) == sorted(notes), \
            outcome.line()
        assert sorted(p.name for p in course.submitted_dir(student, LESSON).iterdir()) == \
            ["fixture.ipynb"], student


def test_nothing_of_the_course_reaches_the_kernel_or_the_feedback(graded):
    course, plants, _, _ = graded
    secret = course.secret_file.read_bytes()
    helper = Path(autograder.hidden.__file__).with_name("l01_loss_functions.py").read_bytes()
    db = course.db_path.read_bytes()[:4096]
    forbidden = [secret.hex(), helper[:4096].hex(), db.hex()[:200], "SQLite format"]
    for student in plants:
        autograded = course.autograded_notebook(student, LESSON).read_text()
        feedback = course.feedback_html(student, LESSON).read_text()
        for text in (autograded, feedback):
            found = [piece[:30] for piece in forbidden if piece in text]
            assert not found, (student, found)
        assert "HIDDEN-FIXTURE-MARKER" not in feedback, student
        assert "planted" not in autograded, student  # the kernel's folder has no planted name


def test_a_notebook_that_is_a_link_is_not_graded(graded):
    course, _, outcomes, _ = graded
    outcome = outcomes["notebook-is-a-link"]
    assert outcome.problem.startswith("missing notebook"), outcome.line()
    assert "left out fixture.ipynb: a symbolic link" in outcome.notes
    assert not course.submitted_notebook("notebook-is-a-link", LESSON).exists()


def test_an_lms_download_imports_regular_files_only(tmp_path, graded):
    course = graded[0]
    if course.submitted_dir("anna", LESSON).exists():
        return  # the same course, already imported into
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "anna.ipynb").write_text(course.release_notebook(LESSON).read_text())
    (downloads / "mallory.ipynb").symlink_to(course.source_notebook(LESSON))
    (downloads / "pipe.ipynb").touch()
    (downloads / "pipe.ipynb").unlink()
    os.mkfifo(downloads / "pipe.ipynb")
    (downloads / "planted.ipynb").write_text(course.release_notebook(LESSON).read_text())
    os.chown(downloads / "planted.ipynb", 65534, 65534)  # another user's file in the download
    said = []
    imported = import_flat_folder(course, downloads, LESSON, say=said.append)
    assert imported == ["anna"]
    assert "  skipped mallory.ipynb: a symbolic link (only regular files are imported)" in said
    assert "  skipped pipe.ipynb: a FIFO (only regular files are imported)" in said
    assert any(line.startswith("  skipped planted.ipynb: owned by nobody, not by you") for line in said), said
    assert not course.submitted_dir("mallory", LESSON).exists()
