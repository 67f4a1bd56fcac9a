"""The course directory: lessons, nbgrader folders and the nbgrader configuration."""
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

AUTOGRADER_DIR = Path(__file__).resolve().parent
REPO_ROOT = AUTOGRADER_DIR.parent
LESSON_PATTERN = re.compile(r"^\d+-[A-Za-z0-9][A-Za-z0-9_-]*$")
# How submissions are run when graded (c.Autograder.grading_mode): "quick" shrinks epochs and
# samples (course_utils.settings.scaled), "full" runs the lessons as written.
GRADING_MODES = ("quick", "full")
DEFAULT_GRADING_MODE = "quick"


class InstructorError(Exception):
    """A mistake by the instructor (bad argument, broken source notebook): exit non-zero."""


def ensure_venv_on_path():
    """nbgrader runs the `alembic` script of its own environment; put that on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def timeout_error(seconds):
    """The error output a cell gets when it runs past the per-cell limit (nbgrader's
    ``Execute.error_on_timeout``), said in the student's terms."""
    message = f"this cell ran longer than the course's limit of {seconds} s per cell and was stopped"
    return {"ename": "CellTimeoutError", "evalue": message,
            "traceback": [f"CellTimeoutError: {message}. Look for a loop that never ends, or train "
                          "for fewer epochs."]}


def silence_gradebook_warnings():
    """nbgrader's gradebook code triggers SQLAlchemy autoflush warnings on every submission,
    which nobody can act on; every process that grades or reads grades calls this."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def quiet_logger(name, logfile=None):
    """A logger for nbgrader's chatter that never reaches the terminal."""
    log = logging.getLogger(f"autograder.nbgrader.{name}")
    log.propagate = False
    log.setLevel(logging.INFO)
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.addHandler(logging.FileHandler(logfile) if logfile else logging.NullHandler())
    return log


def safe_url(url):
    """A database URL with its password masked, fit for messages."""
    return re.sub(r"(//[^:/@]+:)[^@/]*@", r"\1***@", str(url))


def root_config_value(root, section, name):
    """``c.<section>.<name>`` of ``<root>/nbgrader_config.py`` (None when unset or no file).

    This is the file plain nbgrader reads in the course directory; the autograder takes the
    gradebook URL (``c.CourseDirectory.db_url``) and the Dask scheduler
    (``c.Autograder.scheduler``) from it."""
    path = Path(root) / "nbgrader_config.py"
    if not path.is_file() or name not in path.read_text(errors="replace"):
        return None  # (the text check spares loading nbgrader for a file that cannot set it)
    ensure_venv_on_path()
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    value = config.get(section, {}).get(name) if section in config else None
    return value if isinstance(value, (bool, int, float, dict)) or (isinstance(value, str) and value) else None


@dataclass
class Course:
    """An nbgrader course directory whose source notebooks live in ``source``.

    ``sandbox``: run every kernel in the bubblewrap sandbox (autograder/sandbox/kernel_manager.py) with the
    ``limits`` (autograder.sandbox.kernel_manager.SandboxLimits; None: its defaults).
    ``gradebook_url``: nbgrader's ``db_url`` (e.g. ``postgresql://user@host/db``); None: the
    SQLite file ``gradebook.db`` in the root, or the ``c.CourseDirectory.db_url`` of an
    ``nbgrader_config.py`` in the root (see :meth:`at`)."""

    root: Path
    source: Path
    timeout: int | None = None
    sandbox: bool = True
    limits: object = None
    gradebook_url: str | None = None
    answer_rules: bool = True  # off (c.ExecuteAndJudge.answer_rules) only to test the layers beneath
    grading_mode: str = DEFAULT_GRADING_MODE  # c.Autograder.grading_mode: one of GRADING_MODES
    mutant_trials: str | None = None  # the release check's plan (autograder/preprocessors/mutant_trials.py)

    @classmethod
    def at(cls, root=None, source=None, timeout=None, sandbox=True, limits=None, db_url=None):
        root = Path(root or REPO_ROOT).resolve()
        source = Path(source).resolve() if source else root / "notebooks"
        mode = root_config_value(root, "Autograder", "grading_mode") or DEFAULT_GRADING_MODE
        if mode not in GRADING_MODES:
            raise InstructorError(f"c.Autograder.grading_mode in {root / 'nbgrader_config.py'} is {mode!r}; "
                                  f"use one of {', '.join(GRADING_MODES)}")
        return cls(root=root, source=source, timeout=timeout, sandbox=sandbox, limits=limits,
                   gradebook_url=db_url or root_config_value(root, "CourseDirectory", "db_url"),
                   answer_rules=root_config_value(root, "ExecuteAndJudge", "answer_rules") is not False,
                   grading_mode=mode)

    def kernel_settings(self):
        """The environment the grading mode gives every kernel that grades a submission, whatever
        the instructor's shell holds (course_utils.settings.is_quick reads it)."""
        return {"COURSE_QUICK": "1" if self.grading_mode == "quick" else "0"}

    def require_sandbox(self):
        """Stop with one line saying what is missing when kernels cannot be sandboxed here."""
        from autograder.sandbox.bubblewrap import sandbox_unavailable

        if self.sandbox and (missing := sandbox_unavailable()):
            raise InstructorError(f"cannot sandbox the submissions: {missing} "
                                  "(or grade unsandboxed with --no-sandbox, at your own risk)")

    @property
    def db_path(self):
        return self.root / "gradebook.db"

    @property
    def db_url(self):
        return self.gradebook_url or f"sqlite:///{self.db_path}"

    @property
    def db_is_sqlite_file(self):
        """Whether the gradebook is the course's own SQLite file (``db_path``)."""
        return self.gradebook_url is None

    def gradebook_exists(self):
        """Whether the gradebook has been created (by ``release``); raises InstructorError
        with the reason when a database server cannot be reached."""
        if self.db_is_sqlite_file:
            return self.db_path.exists()
        from sqlalchemy import create_engine, inspect
        from sqlalchemy.exc import SQLAlchemyError

        try:
            engine = create_engine(self.db_url)
            try:
                return "assignment" in inspect(engine).get_table_names()
            finally:
                engine.dispose()
        except (SQLAlchemyError, ImportError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise InstructorError(f"cannot open the gradebook {safe_url(self.db_url)}: {reason}") from None

    @property
    def secret_file(self):
        """The grading secret hidden inputs are derived from (instructor-only, never released)."""
        return self.root / ".autograder-secret"

    @property
    def log_dir(self):
        path = self.root / "build" / "autograder-logs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def lessons(self):
        """Lesson ids (``01-loss-functions``): folders of ``source`` holding a notebook."""
        if not self.source.is_dir():
            return []
        return sorted(
            path.name for path in self.source.iterdir()
            if path.is_dir() and LESSON_PATTERN.match(path.name) and any(path.glob("*.ipynb")))

    def check_lessons(self, lessons):
        """Return the requested lessons (all when none), failing on unknown names."""
        known = self.lessons()
        if not known:
            raise InstructorError(f"no lessons found in {self.source}")
        unknown = [lesson for lesson in lessons if lesson not in known]
        if unknown:
            raise InstructorError(
                f"unknown lesson(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return list(lessons) or known

    def notebook_name(self, lesson):
        """The lesson's notebook name without .ipynb (``<slug>`` for ``NN-<slug>``)."""
        folder = self.source / lesson
        slug = lesson.split("-", 1)[1]
        if (folder / f"{slug}.ipynb").exists():
            return slug
        found = sorted(folder.glob("*.ipynb"))
        if len(found) != 1:
            raise InstructorError(f"{lesson}: expected {slug}.ipynb in {folder}")
        return found[0].stem

    def source_notebook(self, lesson):
        return self.source / lesson / f"{self.notebook_name(lesson)}.ipynb"

    def release_notebook(self, lesson):
        return self.root / "release" / lesson / f"{self.notebook_name(lesson)}.ipynb"

    def submitted_dir(self, student, lesson):
        return self.root / "submitted" / student / lesson

    def submitted_notebook(self, student, lesson):
        return self.submitted_dir(student, lesson) / f"{self.notebook_name(lesson)}.ipynb"

    def autograded_notebook(self, student, lesson):
        return self.root / "autograded" / student / lesson / f"{self.notebook_name(lesson)}.ipynb"

    def feedback_html(self, student, lesson):
        return self.root / "feedback" / student / lesson / f"{self.notebook_name(lesson)}.html"

    def students(self, lesson):
        """Students with a folder for ``lesson`` in submitted/."""
        submitted = self.root / "submitted"
        if not submitted.is_dir():
            return []
        return sorted(path.parent.name for path in submitted.glob(f"*/{lesson}") if path.is_dir())

    def config(self, db_url=None):
        """The traitlets config of autograder/nbgrader_config.py for this course."""
        ensure_venv_on_path()
        config = PyFileConfigLoader("nbgrader_config.py", path=str(AUTOGRADER_DIR)).load_config()
        overrides = Config()
        overrides.CourseDirectory.root = str(self.root)
        # nbgrader builds regexes from this path unescaped when absolute: prefer relative.
        overrides.CourseDirectory.source_directory = os.path.relpath(self.source, self.root) \
            if self.source.is_relative_to(self.root) else str(self.source)
        overrides.CourseDirectory.db_url = db_url or self.db_url
        overrides.ExecuteAndJudge.secret_file = str(self.secret_file)
        overrides.ExecuteAndJudge.notes_dir = str(self.log_dir)
        overrides.ExecuteAndJudge.answer_rules = self.answer_rules
        if self.mutant_trials:
            from autograder.preprocessors.judge import ExecuteAndJudge
            from autograder.preprocessors.mutant_trials import ExecuteJudgeAndTryMutants

            overrides.ExecuteJudgeAndTryMutants.trials = self.mutant_trials
            overrides.Autograde.autograde_preprocessors = [
                ExecuteJudgeAndTryMutants if p is ExecuteAndJudge else p
                for p in config.Autograde.autograde_preprocessors]
        overrides.RepairCellIdentity.notes_dir = str(self.log_dir)
        overrides.TruncateLongOutputs.notes_dir = str(self.log_dir)
        overrides.CheckedCollect.notes_dir = str(self.log_dir)
        if self.sandbox:
            overrides.Execute.kernel_manager_class = "autograder.sandbox.kernel_manager.SandboxedKernelManager"
            if self.limits is not None:
                overrides.SandboxedKernelManager.memory_limit = int(self.limits.memory_bytes)
                overrides.SandboxedKernelManager.process_limit = int(self.limits.max_processes)
                overrides.SandboxedKernelManager.time_limit = float(self.limits.submission_seconds)
                overrides.SandboxedKernelManager.disk_limit = int(self.limits.disk_bytes)
                if self.limits.cpu_cores:
                    overrides.SandboxedKernelManager.cpu_limit = float(self.limits.cpu_cores)
        if self.timeout:
            overrides.Execute.timeout = int(self.timeout)
            overrides.Execute.error_on_timeout = timeout_error(int(self.timeout))
        config.merge(overrides)
        return config

    def give_back_to_owner(self):
        """Run as root in a course folder that belongs to an instructor: hand what this run
        wrote there (collected submissions, autograded notebooks, feedback, the gradebook) back
        to that instructor, whose formgrader reads them. Modes are kept: a student's files stay
        private to the course's owner."""
        try:
            owner = self.root.stat()
        except OSError:
            return
        if os.geteuid() != 0 or owner.st_uid == 0:
            return
        for top, dirs, files in os.walk(self.root):
            for name in [".", *dirs, *files]:
                path = os.path.join(top, name)
                if os.lstat(path).st_uid == 0:
                    os.lchown(path, owner.st_uid, owner.st_gid)

    def coursedir(self, db_url=None, **ids):
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.config(db_url), **ids)
