"""The Jupyter configuration of a student's or an instructor's JupyterLab for this course.

``python -m autograder jupyter-setup student|instructor`` writes three files into a Jupyter
configuration folder (``~/.jupyter`` by default; on JupyterHub the image's
``{sys.prefix}/etc/jupyter`` for students and each instructor's ``~/.jupyter``, which wins):

- ``nbgrader_config.py``: the course id and the exchange the Assignment List fetches from and
  submits to (and, for instructors, the course folder formgrader opens);
- ``jupyter_server_config.json``: the server extensions of the role. Validate is the course's
  non-blocking one (autograder.lab.extension) for both; students get neither formgrader
  nor the course list;
- ``labconfig/page_config.json``: the JupyterLab plugins students must not see (Formgrader,
  Create Assignment, Courses) are disabled, and the Assignment List when there is no exchange
  (a student studying alone, ``python -m autograder workspace``, autograder/instructor/workspace.py).
"""
import json
from pathlib import Path

COURSE_ID = "mlp-course"
ROLES = ("student", "instructor")
INSTRUCTOR_ONLY_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list")
ASSIGNMENT_LIST_PLUGIN = "@jupyter/nbgrader:assignment-list"  # off without an exchange
STUDENT_PLUGINS = {"submit": "private.PrivateSubmit", "list": "student_feedback.FeedbackStatusList",
                   "fetch_feedback": "student_feedback.ReadableFetchFeedback"}
EXCHANGE_PLUGINS = {  # modules of autograder.exchange
    "student": STUDENT_PLUGINS,
    "instructor": {**STUDENT_PLUGINS, "collect": "private.CheckedCollect",
                   "release_feedback": "private.PrivateReleaseFeedback"},
}
INSTRUCTOR_ONLY_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


def server_extensions(role, exchange=True):
    """``ServerApp.jpserver_extensions`` for ``role`` (the Assignment List only with an exchange)."""
    extensions = {"autograder.lab.extension": True,
                  "nbgrader.server_extensions.validate_assignment": False,
                  "nbgrader.server_extensions.assignment_list": bool(exchange)}
    extensions.update(dict.fromkeys(INSTRUCTOR_ONLY_SERVER, role == "instructor"))
    return extensions


def nbgrader_config(role, exchange, course_dir=None, student_id=None):
    lines = [f"# Written by `python -m autograder jupyter-setup {role}`.", "c = get_config()  # noqa: F821",
             f"c.CourseDirectory.course_id = {COURSE_ID!r}"]
    if exchange is not None:
        lines.append(f"c.Exchange.root = {str(exchange)!r}")
        # submissions private to their student, collected only from their own folders; feedback
        # fetched into a readable folder, its absence said
        lines += [f"c.ExchangeFactory.{step} = {f'autograder.exchange.{plugin}'!r}"
                  for step, plugin in EXCHANGE_PLUGINS[role].items()]
    if role == "instructor":  # formgrader shows what students wrote without running it
        lines += ["c.HTMLExporter.sanitize_html = True",
                  "c.HTMLExporter.filters = {'clean_html': 'autograder.lab.html_sanitizer.clean_html', "
                  "'markdown2html': 'autograder.lab.html_sanitizer.markdown2html'}"]
    if role == "instructor" and course_dir is not None:
        lines.append(f"c.CourseDirectory.root = {str(course_dir)!r}")
    if student_id:
        lines.append(f"c.CourseDirectory.student_id = {student_id!r}  # else the login name")
    return "\n".join(lines) + "\n"


def _merged(path, keys, value):
    """The JSON of ``path`` (if any) with the dict at ``keys`` updated with ``value``."""
    data = json.loads(path.read_text()) if path.is_file() else {}
    target = data
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = {**target.get(keys[-1], {}), **value}
    return json.dumps(data, indent=2) + "\n"


def write_jupyter_config(config_dir, role, exchange, course_dir=None, student_id=None):
    """Write the role's files into ``config_dir`` (other settings in the JSON files are kept);
    returns the paths written. An ``nbgrader_config.py`` not written by this command is left
    alone: ValueError says so."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    config_dir = Path(config_dir)
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    nbgrader_file = config_dir / "nbgrader_config.py"
    if nbgrader_file.is_file() and "python -m autograder jupyter-setup" not in nbgrader_file.read_text():
        raise ValueError(f"{nbgrader_file} exists and was not written by jupyter-setup: merge these "
                         "lines into it yourself:\n" + nbgrader_config(role, exchange, course_dir, student_id))
    server_file = config_dir / "jupyter_server_config.json"
    page_file = config_dir / "labconfig" / "page_config.json"
    disabled = dict.fromkeys(INSTRUCTOR_ONLY_PLUGINS, role == "student")
    disabled[ASSIGNMENT_LIST_PLUGIN] = exchange is None
    files = {
        nbgrader_file: nbgrader_config(role, exchange, course_dir, student_id),
        server_file: _merged(server_file, ("ServerApp", "jpserver_extensions"),
                             server_extensions(role, exchange is not None)),
        page_file: _merged(page_file, ("disabledExtensions",), disabled),
    }
    for path, text in files.items():
        path.write_text(text)
    return list(files)
