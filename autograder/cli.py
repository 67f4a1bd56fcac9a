"""``python -m autograder <command>`` (or ``course-grade``): the instructor workflow.

Exit status 0 unless the instructor has something to fix (bad arguments, a broken source
notebook, a reference solution below full marks); a broken submission never stops a batch.
"""
import argparse
import os
import sys
from pathlib import Path

from autograder.course import Course, InstructorError, silence_gradebook_warnings
from autograder.sandbox.limits import GiB, SandboxLimits

COMMANDS = ("release", "autograde", "feedback", "export", "demo", "jupyter-setup", "workspace")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="nbgrader course root holding release/, submitted/, gradebook.db ... "
                             "(default: the repository root)")
    parser.add_argument("--source", type=Path, default=None,
                        help="folder of lesson folders (default: <course-dir>/notebooks)")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds a cell may run before it is interrupted "
                             "(default: $COURSE_CELL_TIMEOUT or 300)")
    parser.add_argument("--db-url", default=None, metavar="URL",
                        help="nbgrader's gradebook database, e.g. postgresql://user@host/db "
                             "(default: c.CourseDirectory.db_url of <course-dir>/nbgrader_config.py, "
                             "else <course-dir>/gradebook.db)")
    parser.add_argument("--exchange", type=Path, default=None, metavar="DIR",
                        help="the nbgrader exchange students fetch from and submit to (default: "
                             "c.Exchange.root of <course-dir>/nbgrader_config.py, else none)")
    sandbox = parser.add_argument_group("the grading sandbox (bubblewrap and cgroups, Linux)")
    sandbox.add_argument("--no-sandbox", action="store_true",
                         help="run submissions unsandboxed, with your permissions (warned every run)")
    limits = SandboxLimits()
    sandbox.add_argument("--memory-limit", type=float, default=limits.memory_bytes / GiB, metavar="GIB",
                         help="memory of one submission's processes (default %(default)g GiB; 0: none)")
    sandbox.add_argument("--max-processes", type=int, default=limits.max_processes, metavar="N",
                         help="processes and threads of one submission (default %(default)s; 0: none)")
    sandbox.add_argument("--submission-timeout", type=float, default=limits.submission_seconds,
                         metavar="SECONDS",
                         help="wall-clock time of one submission (default %(default)g s; 0: none)")
    sandbox.add_argument("--disk-limit", type=float, default=limits.disk_bytes / GiB, metavar="GIB",
                         help="what one submission's folder may hold, a tmpfs when grading as "
                              "root (default %(default)g GiB; 0: none)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", help="check and generate the student version")
    release.add_argument("lessons", nargs="*", metavar="LESSON", help="default: all lessons")
    release.add_argument("--no-check", action="store_true",
                         help="skip running the reference solution and the unanswered release")
    release.add_argument("--publish", action="store_true",
                         help="also publish to the exchange (nbgrader release_assignment), where "
                              "students fetch it from JupyterLab's Assignment List")

    grade = commands.add_parser("autograde", help="grade submitted notebooks")
    grade.add_argument("lessons", nargs="*", metavar="LESSON", help="default: all lessons")
    grade.add_argument("--submissions", type=Path,
                       help="folder of <student>.ipynb files to import first (needs --lesson)")
    grade.add_argument("--lesson", help="the lesson the --submissions folder belongs to")
    grade.add_argument("--student", action="append", default=None,
                       help="grade only this student (repeatable)")
    grade.add_argument("--workers", type=_workers, default="auto", metavar="N",
                       help="grading processes on this machine: an embedded Dask cluster, or this "
                            "process alone for 1 (default auto: one per GPU, else one per core)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on the workers of this Dask scheduler (tcp://host:8786) instead "
                            "(default: c.Autograder.scheduler of <course-dir>/nbgrader_config.py, "
                            "else Dask's scheduler-address setting, else none)")
    grade.add_argument("--force", action="store_true",
                       help="regrade submissions that are unchanged since they were graded")
    grade.add_argument("--retries", type=int, default=3, metavar="N",
                       help="start a submission again up to N times when its worker dies "
                            "(default 3), then report it NOT GRADED")
    grade.add_argument("--engine", choices=("auto", "inline", "dask"), default="auto",
                       help=argparse.SUPPRESS)  # for benchmarks: force one grading path
    grade.add_argument("--watch", action="store_true",
                       help="grade on submit: collect from the exchange, grade and release feedback "
                            "every --interval seconds, within the course's rate limit and feedback "
                            "visibility (autograder/instructor/on_submit.py)")
    grade.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                       help="seconds between two rounds of --watch (default %(default)g)")
    grade.add_argument("--rounds", type=int, default=None, metavar="N",
                       help="stop --watch after N rounds (default: run until interrupted)")

    feedback = commands.add_parser("feedback", help="write HTML feedback for graded submissions")
    feedback.add_argument("lessons", nargs="*", metavar="LESSON", help="default: all lessons")

    commands.add_parser("export", help="write grades.csv and print the grade table")

    demo = commands.add_parser("demo", help="run the pipeline on the reference solutions, in a "
                                             "scratch course (<course-dir>/build/demo-course)")
    demo.add_argument("lessons", nargs="*", metavar="LESSON", help="default: all lessons")
    demo.add_argument("--workers", type=int, default=1)

    setup = commands.add_parser("jupyter-setup", help="configure JupyterLab for a student or an "
                                                      "instructor (exchange, menus, Validate)")
    setup.add_argument("role", choices=("student", "instructor"))
    setup.add_argument("--config-dir", type=Path, default=None,
                       help="the Jupyter configuration folder to write (default: ~/.jupyter, "
                            "or $JUPYTER_CONFIG_DIR)")
    setup.add_argument("--student-id", default=None,
                       help="the name submissions carry (default: the login name; JupyterHub's user)")

    workspace = commands.add_parser("workspace", help="a student's own copy of the lessons (no "
                                                      "solutions) and the student's JupyterLab menus")
    workspace.add_argument("dest", type=Path, metavar="DIR", help="the folder to copy the lessons into")
    workspace.add_argument("lessons", nargs="*", metavar="LESSON", help="default: all lessons")
    workspace.add_argument("--config-dir", type=Path, default=None,
                           help="the Jupyter configuration folder to write (default: ~/.jupyter, "
                                "or $JUPYTER_CONFIG_DIR)")
    return parser


def _workers(text):
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number or auto") from None
    return value


def main(argv=None):
    args = build_parser().parse_args(argv)
    silence_gradebook_warnings()
    try:
        course = _course(args)
        try:
            return COMMAND_RUNNERS[args.command](course, args)
        finally:
            course.give_back_to_owner()
    except InstructorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _course(args):
    root = args.course_dir
    if root is not None and not root.is_dir():
        raise InstructorError(f"--course-dir {root} is not a folder")
    if args.timeout is not None and args.timeout <= 0:
        raise InstructorError("--timeout must be a positive number of seconds")
    if min(args.memory_limit, args.max_processes, args.submission_timeout, args.disk_limit) < 0:
        raise InstructorError("sandbox limits must be 0 (no limit) or positive")
    limits = SandboxLimits(int(args.memory_limit * GiB), args.max_processes, args.submission_timeout,
                           int(args.disk_limit * GiB))
    course = Course.at(root, args.source, args.timeout, sandbox=not args.no_sandbox, limits=limits,
                       db_url=args.db_url)
    if not course.source.is_dir():
        raise InstructorError(f"no lesson folder {course.source} (use --source)")
    return course


def run_release(course, args):
    from autograder.instructor.release import release

    exchange = _exchange(course, args, required=args.publish)
    print(f"release ({course.root}):")
    failed = release(course, args.lessons, check=not args.no_check,
                     exchange=exchange if args.publish else None)
    return 1 if failed else 0


def _exchange(course, args, required=False):
    from autograder.exchange.folders import exchange_root

    root = exchange_root(course, args.exchange)
    if root is None and required:
        raise InstructorError("no exchange: pass --exchange DIR or set c.Exchange.root in "
                              f"{course.root / 'nbgrader_config.py'}")
    return root


def run_autograde(course, args):
    from autograder.cluster.lifecycle import configured_scheduler, default_workers, prestart_forkserver

    if args.workers != "auto" and args.workers < 1:
        raise InstructorError("--workers must be at least 1")
    if args.retries < 0:
        raise InstructorError("--retries must be 0 or more")
    scheduler = args.scheduler or configured_scheduler(course)
    workers = default_workers() if args.workers == "auto" else args.workers
    if scheduler is None and (args.engine == "dask" or (args.engine == "auto" and workers > 1)) \
            and course.gradebook_exists():
        prestart_forkserver()  # the embedded cluster's workers fork from it, imports done

    from autograder.grading.batch import grade_batch
    from autograder.instructor.lms_import import import_flat_folder

    lessons = args.lessons
    students = args.student
    if args.submissions is not None:
        if not args.lesson:
            raise InstructorError("--submissions needs --lesson LESSON")
        if not args.submissions.is_dir():
            raise InstructorError(f"--submissions {args.submissions} is not a folder")
        course.check_lessons([args.lesson])
        print(f"import {args.submissions} as {args.lesson}:")
        imported = import_flat_folder(course, args.submissions, args.lesson)
        print(f"  imported {len(imported)} submission(s)")
        lessons = [args.lesson]
        students = students or imported
    elif args.lesson:
        lessons = [args.lesson]
    if lessons:
        lessons = course.check_lessons(lessons)
        _require_released(course, lessons)
    else:
        lessons = [lesson for lesson in course.check_lessons([]) if _is_released(course, lesson)]
    exchange = _exchange(course, args)
    if args.watch:
        from autograder.instructor.on_submit import watch

        watch(course, exchange, lessons, interval=args.interval, rounds=args.rounds, workers=workers,
              scheduler=scheduler, engine=args.engine, retries=args.retries)
        return 0
    if exchange is not None and args.submissions is None:
        from autograder.exchange.folders import collect

        for lesson in lessons:
            collect(course, lesson, exchange)
    batch = []
    for lesson in lessons:
        todo = course.students(lesson) if students is None else [
            s for s in students if s in course.students(lesson)]
        if not todo:
            print(f"{lesson}: no submissions")
            continue
        print(f"{lesson}: {len(todo)} submission(s)")
        batch.append((lesson, todo))
    if not batch:
        return 0
    print(f"grading in {course.grading_mode} mode (c.Autograder.grading_mode of the course)")
    report = grade_batch(course, batch, workers=workers, scheduler=scheduler, engine=args.engine,
                         force=args.force, retries=args.retries)
    for line in report.summary():
        print(line)
    return 0


def _require_released(course, lessons):
    from nbgrader.api import Gradebook, MissingEntry

    if not course.gradebook_exists():
        raise InstructorError(f"no gradebook in {course.root}: run release first")
    with Gradebook(course.db_url) as gb:
        for lesson in lessons:
            try:
                gb.find_assignment(lesson)
            except MissingEntry:
                raise InstructorError(f"{lesson} is not released yet: run release {lesson}") from None


def _is_released(course, lesson):
    try:
        _require_released(course, [lesson])
    except InstructorError:
        return False
    return True


def run_feedback(course, args):
    from autograder.instructor.feedback import feedback

    lessons = course.check_lessons(args.lessons)
    written = feedback(course, lessons, exchange=_exchange(course, args))
    print(f"wrote {written} feedback report(s)")
    return 0


def run_export(course, args):
    from autograder.instructor.export import export

    if not course.gradebook_exists():
        raise InstructorError(f"no gradebook in {course.root}: nothing to export")
    export(course)
    return 0


def run_demo(course, args):
    from autograder.instructor.demo import demo, demo_course

    scratch = demo_course(course)
    print(f"demo in the scratch course {scratch.root} (COURSE_QUICK={os.environ.get('COURSE_QUICK', '')}); "
          f"{course.root}'s gradebook is not touched")
    below_full = demo(scratch, args.lessons, workers=args.workers)
    print(f"demo output: {scratch.root} (gradebook.db, grades.csv, autograded/)")
    return 1 if below_full else 0


def run_jupyter_setup(course, args):
    from jupyter_core.paths import jupyter_config_dir

    from autograder.lab.setup import write_jupyter_config

    exchange = _exchange(course, args, required=args.role == "instructor")
    config_dir = args.config_dir or Path(jupyter_config_dir())
    try:
        written = write_jupyter_config(config_dir, args.role, exchange, course_dir=course.root,
                                       student_id=args.student_id)
    except ValueError as error:
        raise InstructorError(str(error)) from None
    print(f"JupyterLab for {'a student' if args.role == 'student' else 'an instructor'}: "
          f"{f'exchange {exchange}' if exchange else 'no exchange (no Assignment List)'}")
    for path in written:
        print(f"  wrote {path}")
    return 0


def run_workspace(course, args):
    from autograder.instructor.workspace import make_workspace

    print(f"the lessons as students get them, in {args.dest}:")
    make_workspace(course, args.dest, args.lessons)
    args.role, args.student_id = "student", None
    run_jupyter_setup(course, args)
    print(f"open them with: {Path(sys.executable).parent / 'jupyter'} lab {args.dest}")
    return 0


COMMAND_RUNNERS = {
    "release": run_release,
    "autograde": run_autograde,
    "feedback": run_feedback,
    "export": run_export,
    "demo": run_demo,
    "jupyter-setup": run_jupyter_setup,
    "workspace": run_workspace,
}
