"""Grading on Dask distributed: an embedded cluster on this machine, or an existing cluster.

``GradingCluster`` is a Dask client: by default on an embedded cluster of this machine (one
worker process per core, each kernel getting cores // workers threads; on a machine with
NVIDIA GPUs one worker per GPU, with CUDA_VISIBLE_DEVICES naming it, as dask-cuda's
LocalCUDACluster does), or on the scheduler at ``scheduler`` (workers started with ``dask
worker``, dask-jobqueue on Slurm, dask-kubernetes, ...). Workers need this repository's Python
environment (the ``autograder`` and ``course_utils`` packages), bubblewrap and writable cgroups,
as for grading on one machine; they need no shared filesystem.

A worker runs ``grade_submission``: a pure function of plain data. It gets the lesson's bundle
(scattered once per batch: the lesson's definition as a private SQLite gradebook, the lesson's
extra files, the course secret, the grading settings) and one submission (its folder's files
as bytes), grades it in a scratch course in the sandbox, and returns the autograded folder,
the notes and nbgrader's log as plain data. The client (the process that runs ``autograde``)
writes them into the course and records them: it is the only writer of the gradebook.

Each task's key is (lesson, student, sha256 of the notebook). A worker that dies while
grading has its tasks rescheduled by the scheduler on other workers, up to
``distributed.scheduler.allowed-failures`` times (``retries``; set on the embedded cluster, a
setting of the scheduler on an existing one); then the submission is reported NOT GRADED.
Workers log an event per attempt (topic ``autograder-attempts``), from which the client counts
the retries. The kernel a killed worker was running can outlive it: every grading run and every
task first kills such orphaned sandboxes of this machine (``reap_orphaned_sandboxes``).
"""
from __future__ import annotations

import contextlib
import logging
import os
import platform
import shutil
import socket
import stat
import tempfile
import threading
import time
import uuid
from pathlib import Path

from autograder.course import Course, InstructorError, root_config_value

TOPIC = "autograder-attempts"
# COURSE_* variables that describe this machine, not the grading: a worker keeps its own.
MACHINE_ENV = ("COURSE_DATA", "COURSE_MNIST_DIR", "COURSE_DEVICE", "COURSE_PROGRESS")
MAX_SUBMISSION_BYTES = 256 << 20
_ONE_AT_A_TIME = threading.Lock()  # os.environ and the kernels' settings are per process


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_workers():
    """Workers for this machine: one per visible GPU, else one per usable core."""
    from autograder.gpus import visible_gpus

    return len(visible_gpus()) or usable_cores()


def configured_scheduler(course):
    """The scheduler address of ``c.Autograder.scheduler`` in the course's nbgrader_config.py,
    else of Dask's own ``scheduler-address`` setting (DASK_SCHEDULER_ADDRESS), else None."""
    import dask

    return root_config_value(course.root, "Autograder", "scheduler") \
        or dask.config.get("scheduler-address", None)


# ---- the cluster -----------------------------------------------------------------------------

class GradingCluster:
    """A Dask client for grading: on ``scheduler``, or on an embedded cluster of ``workers``."""

    def __init__(self, course, workers=None, scheduler=None, retries=3, connect_timeout=None,
                 wait_for_workers=120):
        self.course = course
        self.scheduler = scheduler
        self.workers = workers or default_workers()
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.wait_for_workers = wait_for_workers
        self.cluster = None
        self.client = None

    @property
    def remote(self):
        return self.scheduler is not None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        from distributed import Client

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.remote:
            import dask

            timeout = self.connect_timeout or dask.config.get("distributed.comm.timeouts.connect")
            try:
                self.client = Client(self.scheduler, timeout=timeout)
            except (OSError, TimeoutError) as error:
                raise InstructorError(f"cannot reach the Dask scheduler {self.scheduler}: "
                                      f"{error}") from None
            try:
                self.client.wait_for_workers(1, timeout=self.wait_for_workers)
            except TimeoutError:
                self.close()
                raise InstructorError(f"no Dask worker joined {self.scheduler} within "
                                      f"{self.wait_for_workers} s") from None
        else:
            self.cluster = embedded_cluster(self.workers, self.retries)
            self.client = Client(self.cluster)
        self.check_workers()

    def close(self):
        for thing in (self.client, self.cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
        self.client = self.cluster = None

    def n_workers(self):
        return len(self.client.scheduler_info(n_workers=-1)["workers"]) if self.client else 0

    def describe(self):
        if self.remote:
            return f"Dask cluster at {self.scheduler}"
        gpus = sum(1 for spec in self.cluster.worker_spec.values()
                   if "CUDA_VISIBLE_DEVICES" in spec["options"].get("env", {}))
        return f"embedded Dask cluster{f', {gpus} on GPUs' if gpus else ''}"

    def check_workers(self):
        """Stop with one line when a worker cannot sandbox (or lacks the course packages)."""
        answers = self.client.run(_worker_report, self.course.sandbox, on_error="return")
        for address, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                raise InstructorError(f"worker {address} cannot grade: {type(answer).__name__}: "
                                      f"{answer} (install this repository's environment there)")
            if answer.get("problem"):
                raise InstructorError(f"worker {address} ({answer['host']}) cannot sandbox the "
                                      f"submissions: {answer['problem']}")


def _worker_report(sandbox):
    from autograder.sandbox import sandbox_unavailable

    return {"host": socket.gethostname(), "python": platform.python_version(),
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "problem": sandbox_unavailable() if sandbox else None}


# What a grading process imports: loaded once in the forkserver that every worker process of
# this machine is forked from (a worker started with "spawn" spent 5-20 s importing these).
WORKER_IMPORTS = ["distributed", "distributed.nanny", "distributed.worker", "nbgrader.converters",
                  "nbgrader.api", "nbgrader.preprocessors", "autograder.preprocessors",
                  "autograder.grading", "autograder.cluster", "torch"]


def forkserver_context():
    """The multiprocessing context grading processes start from (forkserver, preloaded)."""
    import multiprocessing

    import dask
    from distributed.utils import get_mp_context

    # set for the process, not a block: a Nanny restarting a dead worker reads it then
    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    context = get_mp_context()
    context.set_forkserver_preload(WORKER_IMPORTS)  # no effect once the server runs
    return context if context is multiprocessing.get_context("forkserver") else None


def prestart_forkserver():
    """Start the forkserver now, so that its imports overlap with this process's own."""
    from multiprocessing import forkserver

    if forkserver_context() is not None:
        forkserver.ensure_running()


def embedded_cluster(workers, retries=3):
    """A Dask cluster of ``workers`` worker processes on this machine (loopback only).

    Each worker has one thread (it grades one submission at a time) and sets the kernels'
    threads to cores // workers. With GPUs each worker owns one (round robin when there are
    more workers than GPUs). The scheduler, the workers and the client speak TLS with
    credentials made for this cluster alone and held in memory: another user of this machine
    can reach the scheduler's port but cannot talk to it, so cannot run code on the workers,
    which grade as root."""
    import dask
    from distributed import Nanny, Scheduler, SpecCluster
    from distributed.security import Security

    from autograder.gpus import visible_gpus, worker_gpu_environment

    gpus = visible_gpus()
    threads = str(max(1, usable_cores() // workers))
    security = Security.temporary()  # a CA and a certificate of its own, never on disk
    specs = {}
    for index in range(workers):
        env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
               "OPENBLAS_NUM_THREADS": threads, "OMP_WAIT_POLICY": "PASSIVE"}
        if gpus:
            env.update(worker_gpu_environment(gpus[index % len(gpus)]))
        specs[f"grader-{index}"] = {"cls": Nanny, "options": {
            "nthreads": 1, "env": env, "host": "127.0.0.1", "dashboard": False,
            "silence_logs": logging.ERROR, "name": f"grader-{index}", "protocol": "tls://",
            "security": security}}
    forkserver_context()
    saved = dict(os.environ)  # the Nanny sets its pre-spawn variables in this process too
    try:
        with dask.config.set({
            "distributed.scheduler.allowed-failures": int(retries),
            # OMP_NUM_THREADS and the like come from each worker's env above, not 1
            "distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536},
            "distributed.worker.daemon": True,
        }):
            return SpecCluster(
                workers=specs, name="autograder", silence_logs=logging.ERROR, security=security,
                scheduler={"cls": Scheduler, "options": {
                    "host": "127.0.0.1", "port": 0, "dashboard": False, "dashboard_address": None,
                    "protocol": "tls://", "security": security}})
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


# ---- what travels to the workers --------------------------------------------------------------

def gradebook_template(course, lesson, path):
    """Write at ``path`` a SQLite gradebook holding only ``lesson``'s definition (assignment,
    notebooks, cells, as release stored them) from the course's gradebook (any db_url)."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.exc import SQLAlchemyError

    path = Path(path)
    path.unlink(missing_ok=True)
    tables = Base.metadata.tables
    source, target = create_engine(course.db_url), create_engine(f"sqlite:///{path}")
    try:
        # nbgrader's Gradebook would run the alembic command to stamp a new file (seconds):
        # the schema and the stamp are taken from the course's gradebook instead
        Base.metadata.create_all(bind=target)
        with source.connect() as src, target.begin() as dst:
            try:
                version = src.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                version = None
            if version is None:
                from nbgrader.api import get_alembic_version

                version = get_alembic_version()
            dst.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            dst.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})

            def rows(name, column, values):
                table = tables[name]
                if not values:
                    return []
                return [dict(r) for r in src.execute(
                    select(table).where(table.c[column].in_(list(values)))).mappings()]

            def insert(name, records):
                if records:
                    dst.execute(tables[name].insert(), records)

            assignments = rows("assignment", "name", [lesson])
            if not assignments:
                raise InstructorError(f"{lesson} is not in the gradebook: run release {lesson}")
            insert("course", rows("course", "id", {a["course_id"] for a in assignments}))
            insert("assignment", assignments)
            notebooks = rows("notebook", "assignment_id", [a["id"] for a in assignments])
            insert("notebook", notebooks)
            notebook_ids = [n["id"] for n in notebooks]
            cells = rows("base_cell", "notebook_id", notebook_ids)
            insert("base_cell", cells)
            for name in ("grade_cells", "solution_cells", "task_cells"):
                insert(name, rows(name, "id", [c["id"] for c in cells]))
            insert("source_cell", rows("source_cell", "notebook_id", notebook_ids))
    finally:
        source.dispose()
        target.dispose()
    return path


def _read_tree(folder, limit=None):
    """{relative path: (mode, bytes)} of the regular files below ``folder`` (links skipped)."""
    files, total = {}, 0
    folder = Path(folder)
    if not folder.is_dir():
        return files
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in names:
            path = os.path.join(top, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if limit is not None and total > limit:
                raise ValueError(f"the folder holds over {limit >> 20} MiB")
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = (stat.S_IMODE(info.st_mode), f.read())
    return files


def _write_tree(folder, files):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for relative, (mode, data) in files.items():
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"unsafe path {relative!r}")
        path = folder.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o600)
        path.write_bytes(data)
        path.chmod(mode & 0o777)


def lesson_bundle(course, lesson, scratch):
    """What every worker needs to grade ``lesson``, as plain data."""
    from nbgrader.utils import find_all_files

    from autograder.preprocessors import _course_secret

    coursedir = course.coursedir()
    config = coursedir.config
    template = gradebook_template(course, lesson, Path(scratch) / f"{lesson}.db")
    source = course.source / lesson
    extras = {}
    for filename in find_all_files(str(source), list(coursedir.ignore) + ["*.ipynb"]):
        with open(filename, "rb") as f:
            extras[os.path.relpath(filename, source)] = (stat.S_IMODE(os.stat(filename).st_mode), f.read())
    limits = course.limits
    return {
        "lesson": lesson,
        "notebook": course.notebook_name(lesson),
        "gradebook": template.read_bytes(),
        "extras": extras,
        "secret": _course_secret(str(course.secret_file)),
        "timeout": int(config.Execute.timeout) if "timeout" in config.Execute else None,
        "sandbox": bool(course.sandbox),
        "limits": None if limits is None else
        (int(limits.memory_bytes), int(limits.max_processes), float(limits.submission_seconds),
         int(limits.disk_bytes), float(limits.cpu_cores)),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith("COURSE_") and k not in MACHINE_ENV},
    }


# ---- on a worker ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _environment(values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _fast_folder():
    """A folder in memory (/dev/shm) for the private gradebooks, when there is room."""
    try:
        folder = "/dev/shm"
        if os.access(folder, os.W_OK) and shutil.disk_usage(folder).free > 256 << 20:
            return folder
    except OSError:
        pass
    return None


def _warm_imports():
    import nbgrader.converters  # noqa: F401

    import autograder.preprocessors  # noqa: F401

    with contextlib.suppress(ImportError):
        import torch  # noqa: F401  (hidden tests use it; the first import takes seconds)


def reap_orphaned_sandboxes():
    """Kill the kernels and remove the cgroups and scratch folders of sandboxes whose grading
    process died.

    A worker killed mid-submission (what the retries are for) cannot clean up its kernel's
    sandbox; the kernel can outlive it. Sandbox cgroups are named after the process that made
    them (autograder-sandbox-<pid>-...): one whose maker is gone is an orphan. Only this
    process's own cgroup parent is searched. Returns how many were reaped."""
    import signal

    from autograder.sandbox import _cgroup_parents
    from autograder.scratch import reap_orphaned_scratch

    try:
        _, parents = _cgroup_parents()
    except OSError:
        return 0
    orphans = {}
    for parent in parents:
        for folder in parent.glob("autograder-sandbox-*"):
            maker = folder.name.split("-")[2]
            if maker.isdigit() and not os.path.exists(f"/proc/{maker}"):
                orphans.setdefault(folder.name, []).append(folder)
    for folders in orphans.values():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pids = set()
            for folder in folders:
                with contextlib.suppress(OSError, ValueError):
                    pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        for folder in folders:
            with contextlib.suppress(OSError):
                folder.rmdir()
    reap_orphaned_scratch()  # their scratch folders (tmpfs mounts), in the default place
    return len(orphans)


def _match_torch_threads():
    """torch came with the forkserver: give the hidden tests this worker's share of threads."""
    import sys

    threads = os.environ.get("OMP_NUM_THREADS", "")
    torch = sys.modules.get("torch")
    if torch is not None and threads.isdigit() and torch.get_num_threads() != int(threads):
        torch.set_num_threads(int(threads))


def grade_submission(bundle, job):
    """Grade one submission on this worker; returns plain data (see the module docstring).

    ``job``: lesson, student, sha256, files ({path: (mode, bytes)} of the submitted folder),
    batch and key (for the attempt events), submitted (the client's time.time())."""
    started = time.time()
    worker = None
    with contextlib.suppress(ImportError, ValueError):
        from distributed import get_worker

        worker = get_worker()
        worker.log_event(TOPIC, {"batch": job["batch"], "key": job["key"],
                                 "worker": worker.address, "time": started})
    with _ONE_AT_A_TIME, _environment(bundle["env"]):
        reap_orphaned_sandboxes()  # what a worker of this machine killed earlier left (a listdir)
        _match_torch_threads()
        result = _grade_in_scratch(bundle, job)
    result.update(worker=worker.address if worker else "", host=socket.gethostname(),
                  started=started, ended=time.time())
    return result


def _grade_in_scratch(bundle, job):
    from autograder.nbgrader_run import Clock, run_nbgrader_autograde
    from autograder.notes import read_notes
    from autograder.sandbox import SandboxLimits

    began = time.perf_counter()
    _warm_imports()
    lesson, student = job["lesson"], job["student"]
    scratch = Path(tempfile.mkdtemp(prefix="autograde-"))
    database = Path(tempfile.mkstemp(prefix="gradebook-", suffix=".db", dir=_fast_folder())[1])
    try:
        root = scratch / "course"
        _write_tree(root / "notebooks" / lesson, bundle["extras"])
        _write_tree(root / "submitted" / student / lesson, job["files"])
        secret = root / ".autograder-secret"
        secret.write_bytes(bundle["secret"])
        secret.chmod(0o600)
        database.write_bytes(bundle["gradebook"])
        limits = SandboxLimits(*bundle["limits"]) if bundle["limits"] else None
        course = Course(root=root, source=root / "notebooks", timeout=bundle["timeout"],
                        sandbox=bundle["sandbox"], limits=limits)
        clock = Clock()
        setup = time.perf_counter() - began
        success, error = run_nbgrader_autograde(course, lesson, student, db_url=f"sqlite:///{database}",
                                                clock=clock, record=False)
        logfile = course.log_dir / f"autograde-{lesson}-{student}.log"
        return {"success": success, "error": error,
                "files": _read_tree(root / "autograded" / student / lesson),
                "notes": read_notes(course.log_dir, lesson, student),
                "log": logfile.read_text(errors="replace") if logfile.exists() else "",
                "phases": dict(clock.phases(), setup=setup)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        database.unlink(missing_ok=True)


# ---- on the client -------------------------------------------------------------------------------

def _key(job, batch, force):
    key = f"autograde-{job.lesson}-{job.student}-{(job.sha256 or 'none')[:16]}"
    return f"{key}-{batch}" if force else key


def grade_on_dask(course, cluster, jobs, finish, report, bar, force=False, say=print):
    """Grade ``jobs`` (autograder.grading.Job) on ``cluster``; ``finish`` records each one."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    from autograder.notes import add_note

    client = cluster.client
    report.where = cluster.describe()
    report.workers = cluster.n_workers()
    say(f"  grading {len(jobs)} submission(s) on {report.workers} worker(s) of the {report.where}")
    batch = uuid.uuid4().hex[:12]
    attempts = {}
    lock = threading.Lock()

    def on_attempt(event):
        _, message = event
        if not isinstance(message, dict) or message.get("batch") != batch:
            return
        with lock:
            attempts[message["key"]] = attempts.get(message["key"], 0) + 1
            report.executed = sum(attempts.values())
            report.retried = sum(n - 1 for n in attempts.values())

    client.subscribe_topic(TOPIC, on_attempt)
    futures = {}
    try:
        with tempfile.TemporaryDirectory(prefix="autograde-bundles-") as scratch:
            # one future per bundle (scattering a dict itself would scatter its values under
            # its keys, the same keys for every lesson)
            bundles = {lesson: client.scatter([lesson_bundle(course, lesson, scratch)],
                                              broadcast=True, hash=False)[0]
                       for lesson in sorted({job.lesson for job in jobs})}
        for job in jobs:
            key = _key(job, batch, force)
            try:
                files = _read_tree(course.submitted_dir(job.student, job.lesson),
                                   limit=MAX_SUBMISSION_BYTES)
            except (OSError, ValueError) as error:
                _remove_autograded(course, job)
                finish(job, False, None, {}, problem=f"submission folder not readable: {error}")
                continue
            payload = {"lesson": job.lesson, "student": job.student, "sha256": job.sha256,
                       "files": files, "batch": batch, "key": key, "submitted": time.time()}
            futures[client.submit(grade_submission, bundles[job.lesson], payload, key=key,
                                  pure=False, retries=cluster.retries)] = (job, payload["submitted"])
        done = set()
        for future in as_completed(list(futures)):
            job, submitted = futures[future]
            if (job.lesson, job.student) in done:
                continue  # as_completed never repeats a future; a key is recorded once anyway
            done.add((job.lesson, job.student))
            began = time.perf_counter()
            phases, problem, success, error = {}, None, False, None
            try:
                result = future.result()
                received = time.time()
            except KilledWorker as failure:
                problem = (f"the grading worker died {failure.allowed_failures + 1} times while "
                           f"grading it (last: {failure.last_worker.address}); see the workers' logs")
                result = None
            except FutureCancelledError as failure:
                problem = f"grading was cancelled on the cluster ({failure})"
                result = None
            except Exception as failure:  # noqa: BLE001 - raised on the worker, after retries
                problem = f"grading failed on the worker: {type(failure).__name__}: {failure}"
                result = None
            future.release()
            _remove_autograded(course, job)
            if result is not None:
                success, error = result["success"], result["error"]
                _write_tree(course.autograded_notebook(job.student, job.lesson).parent, result["files"]) \
                    if result["files"] else None
                for note in result["notes"]:
                    add_note(str(course.log_dir), job.lesson, job.student, note)
                (course.log_dir / f"autograde-{job.lesson}-{job.student}.log").write_text(result["log"])
                phases = dict(result["phases"])
                busy = result["ended"] - result["started"]
                phases["queue"] = max(0.0, result["started"] - submitted)
                phases["transfer"] = max(0.0, received - submitted - phases["queue"] - busy)
            from autograder.nbgrader_run import record_result

            record_result(course, job.lesson, job.student)
            phases["recording"] = time.perf_counter() - began
            finish(job, success, error, phases, problem=problem)
    finally:
        client.unsubscribe_topic(TOPIC)
        for future in futures:
            future.release()
    _count_attempts(client, batch, report)


def _remove_autograded(course, job):
    folder = course.autograded_notebook(job.student, job.lesson).parent
    if folder.exists():
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                path.chmod(0o700 if path.is_dir() else 0o600)
        shutil.rmtree(folder, ignore_errors=True)


def _count_attempts(client, batch, report):
    """The exact counts from the scheduler's event log (the live ones may lag behind)."""
    try:
        events = client.get_events(TOPIC)
    except Exception:  # noqa: BLE001 - counts stay the live ones
        return
    attempts = {}
    for _, message in events:
        if isinstance(message, dict) and message.get("batch") == batch:
            attempts[message["key"]] = attempts.get(message["key"], 0) + 1
    if attempts:
        report.executed = sum(attempts.values())
        report.retried = sum(n - 1 for n in attempts.values())
