"""The course's nbgrader exchange plug-ins: submissions that prove who made them and stay private.

nbgrader's exchange is one folder every user may write to. Its collect, run by the instructor
(often as root), takes a folder ``bob+<lesson>+<time>+<random>`` as bob's whoever made it, and
copies its files following links; its submit leaves a submission readable by every user and
its folder writable by every user. Configured through nbgrader's ``ExchangeFactory``
(autograder/nbgrader_config.py and ``jupyter-setup``), these subclasses change that:

- ``CheckedCollect`` collects a submission only from a folder that belongs to the student it
  names (the owner's login name is the student id; the instructor's own and root's count too)
  and only the regular files that student owns (autograder/sandbox/plain_files.py).
  A folder in someone else's name is refused and
  reported; that student's own newest submission is collected instead. What was refused or
  left out is noted on the student's line when ``autograde`` grades them.
- ``PrivateSubmit`` leaves a submission to its student alone: folders 0700, files 0600 (the
  instructor collects as root), or 0770 and 0660 with ``group_readable`` (the inbound folder's
  group, inherited through its set-group-id bit, holds the instructors only).
- ``PrivateReleaseFeedback`` gives each released feedback file to its student (mode 0600)
  when the instructor runs as root; otherwise the file keeps nbgrader's mode, its name a hash
  of the submission's secret, which only its student can read now, in a folder none can list.
"""
import glob
import os
import pwd
import shutil
import stat
import tempfile

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from traitlets import Bool, Unicode

from autograder.exchange.student_feedback import released_feedback_name
from autograder.notes import set_received_notes
from autograder.sandbox.plain_files import copy_plain


def uid_of(student):
    """The uid of the local user named ``student``, or None when there is none."""
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        return None


def trusted_owners(student):
    """Who may own a folder or file submitted as ``student``: that student's local user, and
    the instructor collecting it (and root), who could write anything anyway."""
    return {uid for uid in (uid_of(student), os.geteuid(), 0) if uid is not None}


def owner_name(info):
    try:
        return pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        return f"uid {info.st_uid}"


class CheckedCollect(ExchangeCollect):
    """nbgrader's collect, from the students' own folders and files only (module docstring)."""

    notes_dir = Unicode("", config=True,
                        help="Folder for the notes autograde shows on each student's line")

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        info = os.lstat(path)
        record["genuine"] = stat.S_ISDIR(info.st_mode) and (
            not self.check_owner or info.st_uid in trusted_owners(record["username"]))
        if not record["genuine"]:
            made_by = owner_name(info) if stat.S_ISDIR(info.st_mode) else "a symbolic link"
            self.forged.append((record, made_by))
        return record

    def _sort_by_timestamp(self, records):
        # the student's own folders first: the newest of them is collected, never a forgery
        return sorted(records, key=lambda r: (r.get("genuine", True), r["timestamp"]), reverse=True)

    def init_src(self):
        self.forged, self.received = [], {}  # received: student -> notes for their line
        super().init_src()
        for record, made_by in self.forged:
            student = record["username"]
            note = (f"refused the submission {record['filename']} in {student}'s name: its "
                    f"folder belongs to {made_by}, not to {student}")
            self.log.error("Refused submission: %s", note)
            self.received.setdefault(student, []).append(note)
        self.src_records = [r for r in self.src_records if r.get("genuine", True)]

    def do_copy(self, src, dest, log=None):
        student = os.path.basename(os.path.dirname(dest))
        owners = trusted_owners(student) if self.check_owner else None
        staging = tempfile.mkdtemp(prefix=".collect-", dir=os.path.dirname(dest))
        try:
            notes = copy_plain(src, os.path.join(staging, "copy"), owners=owners)
            super().do_copy(os.path.join(staging, "copy"), dest, log)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for note in notes:
            self.log.warning("%s: %s", src, note)
        self.received.setdefault(student, []).extend(notes)

    def copy_files(self):
        super().copy_files()
        if self.notes_dir:
            for student, notes in self.received.items():
                set_received_notes(self.notes_dir, self.coursedir.assignment_id, student, notes)


def _private(folder, group_shared):
    dir_mode, file_mode = (0o770, 0o660) if group_shared else (0o700, 0o600)
    for top, _dirs, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(top, name), file_mode)
        os.chmod(top, dir_mode)


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, leaving the submission to its student (module docstring)."""

    group_readable = Bool(False, config=True, help=(
        "Let the group of the exchange's inbound folder read and remove submissions too: for "
        "instructors who collect without root, when that group holds the instructors only"))

    def copy_files(self):
        super().copy_files()
        _private(os.path.join(self.inbound_path, self.assignment_filename), self.group_readable)


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, each file readable by its student only (module docstring)."""

    def copy_files(self):
        super().copy_files()
        if os.geteuid() != 0:
            return  # the files keep nbgrader's 0644: unguessable names in a folder none can list
        for html in glob.glob(os.path.join(self.src_path, "*.html")):
            folder = os.path.dirname(html)
            student = os.path.basename(os.path.dirname(folder))
            uid = uid_of(student)
            name = released_feedback_name(folder, os.path.splitext(os.path.basename(html))[0])
            if uid is None or name is None:
                continue
            released = os.path.join(self.dest_path, name)
            if os.path.isfile(released) and not os.path.islink(released):
                os.chown(released, uid, -1)
                os.chmod(released, 0o600)
