# nbgrader configuration for the course, read by `python -m autograder` and, through the
# root-level nbgrader_config.py, by the plain `nbgrader` command line and formgrader.
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    SaveCells,
)

from autograder.course import timeout_error
from autograder.preprocessors.deduplicate_ids import DeduplicateIdsCompletely
from autograder.preprocessors.hide_hidden_tests import HideHiddenTests
from autograder.preprocessors.judge import ExecuteAndJudge
from autograder.preprocessors.mark_pending_grades import MarkPendingGrades
from autograder.preprocessors.repair_cell_identity import RepairCellIdentity
from autograder.preprocessors.score_only_feedback import ScoreOnlyFeedback
from autograder.preprocessors.tag_cells_that_raise import TagCellsThatRaise
from autograder.preprocessors.truncate_outputs import TruncateLongOutputs

c = get_config()  # noqa: F821 (injected by the traitlets config loader)

# Course layout: assignments are notebooks/<NN-slug>/<slug>.ipynb below the course root
# (CourseDirectory.root defaults to the working directory; `python -m autograder --course-dir`
# sets it). release/, submitted/, autograded/, feedback/ and gradebook.db live in the root.
c.CourseDirectory.course_id = "mlp-course"
c.CourseDirectory.source_directory = "notebooks"

# Execution: one kernel per submission, `python3` from the interpreter running nbgrader
# (the kernelspec launches "python", which jupyter_client maps to sys.executable).
c.Execute.kernel_name = "python3"
c.Execute.timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "300"))  # seconds per cell
c.Execute.startup_timeout = 120
c.Execute.interrupt_on_timeout = True
# What a cell that ran too long shows (in Validate's list and in the graded notebook), instead
# of nbclient's "No reply from kernel before timeout".
c.Execute.error_on_timeout = timeout_error(c.Execute.timeout)
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
# After a cell's reply, nbclient waits iopub_timeout seconds for its last outputs, and
# nbgrader turns a late output into a failed submission. Long tracebacks (RecursionError)
# on a busy machine arrive late: wait longer and never fail for it. A cell that raised is
# still graded as failed: nbgrader adds the error from the execute reply itself.
c.Execute.iopub_timeout = 30
c.Execute.raise_on_iopub_timeout = False

# nbgrader gives a test cell zero points when it wrote anything to stderr
# (nbgrader.utils.determine_grade). IgnorePattern drops the stderr chunks matching this
# pattern before grading: Python warnings, tqdm progress bars and logging records.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?im)(warn"                                  # UserWarning: ..., warnings.warn(...)
    r"|^\s*\d+%\|"                                 # tqdm bar: " 40%|####      |"
    r"|\d+(?:\.\d+)?\s?(?:it/s|s/it)"              # tqdm rate
    r"|^(?:DEBUG|INFO|WARNING)[:\s])"              # logging records
)

# Huge outputs: nbgrader keeps at most LimitOutput.max_lines stream lines and
# LimitOutput.max_traceback traceback lines per cell; TruncateLongOutputs caps characters
# (a single enormous line passes the line limit).
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
c.TruncateLongOutputs.max_chars = 100_000

# Autograde = nbgrader's default pipeline, except that every test cell's grade is decided by
# its hidden test run in the grader (ExecuteAndJudge; autograder/grading/trusted_tests.py), a kernel
# crash fails only the cells from the crash on, and outputs are capped in characters.
# The course secret that hidden inputs derive from: CourseDirectory.root/.autograder-secret.
c.Autograde.autograde_preprocessors = [
    ExecuteAndJudge,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    TruncateLongOutputs,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# A deleted test cell is put back (from the gradebook) and run, instead of scoring nothing.
# DeduplicateIdsCompletely works around an nbgrader crash when a student duplicated a
# graded cell and add_missing_cells is on.
c.OverwriteCells.add_missing_cells = True
# RepairCellIdentity first gives careless but correct cells (renamed id, stripped or extra
# metadata, an answer pasted from another notebook) the release's metadata, matched by content.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RepairCellIdentity,
    DeduplicateIdsCompletely,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]

# Release: nbgrader's generate_assignment pipeline, plus JupyterLab's raises-exception tag on the
# cells that raise until answered (test cells), so that a student's Run All reaches the end.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    ClearSolutions,
    TagCellsThatRaise,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    SaveCells,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
]

# The exchange: a submission is collected only from its own student's folder and files, and
# stays readable by that student alone (autograder/exchange/private.py).
c.ExchangeFactory.collect = "autograder.exchange.private.CheckedCollect"
c.ExchangeFactory.submit = "autograder.exchange.private.PrivateSubmit"
c.ExchangeFactory.release_feedback = "autograder.exchange.private.PrivateReleaseFeedback"
# Feedback fetched into "feedback/submitted <date> at <time> UTC"; a submission without any says
# so in the Assignment List (autograder/exchange/student_feedback.py).
c.ExchangeFactory.list = "autograder.exchange.student_feedback.FeedbackStatusList"
c.ExchangeFactory.fetch_feedback = "autograder.exchange.student_feedback.ReadableFetchFeedback"

# What students wrote is shown without running it, in formgrader and on the feedback pages:
# no JavaScript output or widget, and HTML cleaned by autograder/lab/html_sanitizer.py.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "autograder.lab.html_sanitizer.clean_html",
                          "markdown2html": "autograder.lab.html_sanitizer.markdown2html"}

# Feedback: the autograded notebook holds the hidden tests again; strip them, and any echo
# of them in outputs, from the HTML reports; written answers not graded yet say "pending".
c.GenerateFeedback.preprocessors = [MarkPendingGrades, HideHiddenTests, ScoreOnlyFeedback, CSSHTMLHeaderPreprocessor]
