"""Only a submission's own regular files reach grading (autograder/sandbox/plain_files.py)."""
import os

import pytest

from autograder.sandbox.plain_files import copy_plain, drop_non_plain


@pytest.fixture
def planted(tmp_path):
    """A student's folder with a notebook, a data file, a subfolder, and everything else a
    student can put there: links to the instructor's secret (file, folder, relative,
    dangling), a FIFO, a socket and a hard link."""
    import socket

    secret = tmp_path / "course" / ".autograder-secret"
    secret.parent.mkdir()
    secret.write_text("SECRET")
    folder = tmp_path / "student"
    (folder / "sub").mkdir(parents=True)
    (folder / "lesson.ipynb").write_text("{}")
    (folder / "sub" / "data.csv").write_text("1,2")
    (folder / "secret-link").symlink_to(secret)
    (folder / "course-link").symlink_to(secret.parent, target_is_directory=True)
    (folder / "sub" / "relative-link").symlink_to("../../course/.autograder-secret")
    (folder / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(folder / "fifo")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket"))
    own = folder / "own.txt"
    own.write_text("mine")
    os.link(own, folder / "own-again.txt")
    yield folder, secret
    server.close()


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_copy_holds_the_regular_files_only_and_names_what_it_left_out(planted, tmp_path):
    folder, secret = planted
    dest = tmp_path / "copy"
    notes = copy_plain(folder, dest)
    assert _tree(dest) == ["lesson.ipynb", "sub", "sub/data.csv"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert "SECRET" not in "".join(p.read_text() for p in dest.rglob("*") if p.is_file())
    assert sorted(notes) == sorted([
        "left out course-link: a symbolic link", "left out dangling: a symbolic link",
        "left out fifo: a FIFO", "left out own-again.txt: a hard link (the file has 2 names)",
        "left out own.txt: a hard link (the file has 2 names)", "left out secret-link: a symbolic link",
        "left out socket: a socket", "left out sub/relative-link: a symbolic link"])


def test_a_copy_for_the_exchange_takes_only_what_the_student_owns(planted, tmp_path):
    folder, _ = planted
    (folder / "given.txt").write_text("x")
    os.chown(folder / "given.txt", 4242, 4242)
    notes = copy_plain(folder, tmp_path / "copy", owners={os.getuid()})
    assert "left out given.txt: owned by uid 4242, not by the student" in notes
    assert not (tmp_path / "copy" / "given.txt").exists()
    with pytest.raises(OSError, match="owned by uid"):
        copy_plain(folder, tmp_path / "copy2", owners={4242})


def test_a_submission_folder_that_is_a_link_is_refused(planted, tmp_path):
    folder, secret = planted
    (tmp_path / "folder-link").symlink_to(secret.parent, target_is_directory=True)
    with pytest.raises(OSError):
        copy_plain(tmp_path / "folder-link", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_a_graded_folder_loses_its_links_in_place(planted):
    folder, secret = planted
    notes = drop_non_plain(folder)
    assert _tree(folder) == ["lesson.ipynb", "own-again.txt", "own.txt", "sub", "sub/data.csv"]
    assert secret.read_text() == "SECRET"  # the targets are untouched
    assert len(notes) == 6 and all(note.startswith("left out ") for note in notes)
    assert drop_non_plain(folder) == []
