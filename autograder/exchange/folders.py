"""The nbgrader exchange: released lessons wait there for students to fetch them from
JupyterLab's Assignment List, and their submissions wait there to be collected.

It is a folder everyone can write to (mode 1777, like /tmp): on one machine any path, on
JupyterHub a volume mounted at the same path in every user's server. The course finds it in
``c.Exchange.root`` of ``<course-dir>/nbgrader_config.py`` or in ``--exchange``. Submissions in
it are private to their student, and collected only from their student's own folder and files
(autograder/exchange/private.py).
"""
import os
import re
import stat
from pathlib import Path

from autograder.course import InstructorError, quiet_logger, root_config_value

EVERYONE = stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO | stat.S_ISVTX  # drwxrwxrwt


def exchange_root(course, override=None):
    """The exchange folder of the course (a Path), or None when it has none."""
    value = override or root_config_value(course.root, "Exchange", "root")
    return Path(value).resolve() if value else None


def ensure_exchange(root, say=print):
    """Create the exchange folder when it is missing (nbgrader requires it to exist)."""
    if root.is_dir():
        return
    try:
        root.mkdir(parents=True)
        root.chmod(EVERYONE)
    except OSError as error:
        raise InstructorError(f"cannot create the exchange {root}: {error.strerror}") from None
    say(f"  created the exchange {root} (writable by everyone, like /tmp)")


def check_course_folders(root, course_id):
    """Refuse an exchange whose course folders someone else made: in a folder everyone can
    write to, a student could create ``<course>/inbound`` (or a link in its place) before the
    instructor does, and then read or replace what goes through it."""
    mine = {0, os.geteuid()}
    course = Path(root) / course_id
    for folder in (course, course / "inbound", course / "outbound", course / "feedback"):
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid not in mine:
            what = "a link" if stat.S_ISLNK(info.st_mode) else f"owned by uid {info.st_uid}"
            raise InstructorError(f"the exchange folder {folder} is {what}, not made by the "
                                  "instructor: someone may have planted it; remove it and publish again")


def _api(course, root, lesson):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = course.config()
    check_course_folders(root, config.CourseDirectory.course_id)
    extra = Config()
    extra.Exchange.root = str(root)
    extra.ExchangeReleaseAssignment.force = True  # publishing again replaces the copy there
    config.merge(extra)
    coursedir = course.coursedir(assignment_id=lesson)
    coursedir.config.merge(extra)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log = quiet_logger(f"exchange.{lesson}", course.log_dir / f"exchange-{lesson}.log")
    return api


def _failure(result):
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    errors = [line for line in text.splitlines() if re.match(r"\[(ERROR|CRITICAL)\]", line)]
    lines = errors or [line for line in text.strip().splitlines() if line.strip()] or ["unknown error"]
    return lines[-1].split("]", 1)[-1].strip()


def publish(course, lesson, root, say=print):
    """nbgrader release_assignment: copy the lesson's release into the exchange's outbound."""
    ensure_exchange(root, say)
    result = _api(course, root, lesson).release_assignment(lesson)
    if not result["success"]:
        raise InstructorError(f"{lesson}: could not publish to the exchange {root}: {_failure(result)}")
    say(f"  {lesson}: published to the exchange {root} (students fetch it from the Assignment List)")


def collect(course, lesson, root, say=print):
    """nbgrader collect: the newest submission of each student into submitted/. Returns the
    students whose submission was new or newer."""
    inbound = root / course.config().CourseDirectory.course_id / "inbound"
    if not inbound.is_dir():
        return []
    result = _api(course, root, lesson).collect(lesson, update=True)
    if not result["success"]:
        raise InstructorError(f"{lesson}: could not collect from the exchange {root}: {_failure(result)}")
    log = result.get("log") or ""
    for refusal in re.findall(r"Refused submission: (.*)", log):
        say(f"  {lesson}: {refusal}")
    collected = re.findall(r"(?:Collecting|Updating) submission: (\S+) ", log)
    if collected:
        say(f"{lesson}: collected {len(collected)} submission(s) from the exchange: {', '.join(collected)}")
    return collected



def release_feedback(course, lesson, root, say=print):
    """nbgrader release_feedback: each student's feedback on ``lesson`` into the exchange, where
    "Fetch Feedback" in their Assignment List finds it (readable by that student alone)."""
    if not (course.root / "feedback").is_dir():
        return
    ensure_exchange(root, say)
    result = _api(course, root, lesson).release_feedback(lesson)
    if not result["success"]:
        raise InstructorError(f"{lesson}: could not release feedback to the exchange {root}: {_failure(result)}")
    say(f"  {lesson}: feedback released to the exchange {root} (students fetch it from the Assignment List)")
