"""The nbgrader exchange: released lessons wait there for students to fetch them from
JupyterLab's Assignment List, and their submissions wait there to be collected.

It is a folder everyone can write to (mode 1777, like /tmp): on one machine any path, on
JupyterHub a volume mounted at the same path in every user's server. The course finds it in
``c.Exchange.root`` of ``<course-dir>/nbgrader_config.py`` or in ``--exchange``.
"""
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


def _api(course, root, lesson):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = course.config()
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
    collected = re.findall(r"(?:Collecting|Updating) submission: (\S+) ", result.get("log") or "")
    if collected:
        say(f"{lesson}: collected {len(collected)} submission(s) from the exchange: {', '.join(collected)}")
    return collected

