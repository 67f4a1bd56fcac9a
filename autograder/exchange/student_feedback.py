"""What a student's Assignment List says about feedback, and where "Fetch Feedback" puts it.

nbgrader fetches a submission's feedback into a folder named after the raw submission time
(``feedback/2026-12-07 19:41:19.123456 UTC``, a name Windows refuses), and shows nothing next to
a submission whose feedback is not released yet, so "Fetch Feedback" then seems to do nothing.
Configured through nbgrader's ``ExchangeFactory`` (autograder/lab/setup.py, autograder/nbgrader_config.py):

- ``ReadableFetchFeedback`` puts the feedback on each submission in
  ``feedback/submitted 2026-12-07 at 19.41.19 UTC``;
- ``FeedbackStatusList`` finds it there, and names each of the student's submissions by that
  time, with "no feedback released yet" while there is none to fetch.
"""
import filecmp
import os

from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.list import ExchangeList
from nbgrader.utils import notebook_hash, parse_utc

NOT_RELEASED = "no feedback released yet"


def submission_label(timestamp):
    """``submitted 2026-12-07 at 19.41.19 UTC`` for an nbgrader submission timestamp."""
    try:
        when = parse_utc(timestamp)
    except (ValueError, OverflowError):
        return "submitted " + "".join("." if c in ':/\\' else c for c in timestamp)
    return f"submitted {when:%Y-%m-%d} at {when:%H.%M.%S} UTC"


def released_feedback_name(submission, notebook_id):
    """The file name nbgrader releases a notebook's feedback under (a hash of the submission's
    secret), or None for a submission without a secret."""
    secret_file = os.path.join(submission, "submission_secret.txt")
    if not os.path.isfile(secret_file):
        return None
    with open(secret_file) as f:
        return notebook_hash(secret=f.read(), notebook_id=notebook_id) + ".html"


class ReadableFetchFeedback(ExchangeFetchFeedback):
    """nbgrader's fetch_feedback, into a folder named by ``submission_label`` (module docstring)."""

    def init_src(self):
        released = os.path.join(self.root, self.coursedir.course_id, "feedback")
        if self.coursedir.course_id and not os.path.isdir(released):  # nothing released in the course yet
            self.src_path, self.feedback_files = released, []
            return
        super().init_src()

    def do_copy(self, src, dest):
        self.feedback_files = [(notebook_id, submission_label(timestamp), path)
                               for notebook_id, timestamp, path in self.feedback_files]
        if not self.feedback_files:
            self.log.warning("No feedback released yet for %s", self.coursedir.assignment_id)
        super().do_copy(src, dest)


class FeedbackStatusList(ExchangeList):
    """nbgrader's list; the student's submissions as ``ReadableFetchFeedback`` keeps them."""

    def parse_assignments(self):
        assignments = super().parse_assignments()
        if self.cached:  # the student's own submissions (the Assignment List's "Submitted")
            for assignment in assignments:
                for info in assignment["submissions"]:
                    self._find_local_feedback(info)
        return assignments

    def _assignment_dir(self, info):
        parts = [info["course_id"]] if self.path_includes_course else []
        return os.path.abspath(os.path.join(self.assignment_dir, *parts, info["assignment_id"]))

    def _find_local_feedback(self, info):
        folder = os.path.join(self._assignment_dir(info), "feedback", submission_label(info["timestamp"]))
        for notebook in info["notebooks"]:
            local = os.path.join(folder, notebook["notebook_id"] + ".html")
            name = released_feedback_name(info["path"], notebook["notebook_id"])
            released = os.path.join(self.root, info["course_id"], "feedback", name) if name else None
            notebook["has_local_feedback"] = os.path.isfile(local)
            notebook["local_feedback_path"] = local if notebook["has_local_feedback"] else None
            notebook["feedback_updated"] = bool(
                notebook["has_local_feedback"] and notebook["has_exchange_feedback"] and released
                and not filecmp.cmp(released, local, shallow=False))
        notebooks = info["notebooks"]
        info["has_local_feedback"] = bool(notebooks) and all(nb["has_local_feedback"] for nb in notebooks)
        info["feedback_updated"] = any(nb["feedback_updated"] for nb in notebooks)
        info["local_feedback_path"] = folder if info["has_local_feedback"] else None
        # the Assignment List shows this text as the submission's name
        info["timestamp"] = submission_label(info["timestamp"])
        if not (info["has_local_feedback"] or info["has_exchange_feedback"]):
            info["timestamp"] += f" ({NOT_RELEASED})"

    def format_inbound_assignment(self, info):
        return super().format_inbound_assignment(info).replace(" (no feedback available)", "")
