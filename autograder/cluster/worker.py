"""On a Dask worker: grade one submission in a private scratch course, return plain data."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from autograder.cluster.shipping import read_tree, write_tree
from autograder.course import Course
from autograder.kernel_env import environment_set, kernel_threads
from autograder.sandbox.cgroups import reap_orphaned_sandboxes

TOPIC = "autograder-attempts"  # one event per attempt, from which the client counts retries
_ONE_AT_A_TIME = threading.Lock()  # os.environ and the kernels' settings are per process


def _fast_folder():
    """A folder in memory (/dev/shm) for the private gradebooks, when there is room."""
    try:
        folder = "/dev/shm"
        if os.access(folder, os.W_OK) and shutil.disk_usage(folder).free > 256 << 20:
            return folder
    except OSError:
        pass
    return None


def warm_imports():
    import nbgrader.converters  # noqa: F401

    import autograder.preprocessors.judge  # noqa: F401

    with contextlib.suppress(ImportError):
        import torch  # noqa: F401  (hidden tests use it; the first import takes seconds)


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
    # torch may have come with the forkserver: kernel_threads gives the hidden tests this
    # worker's share of threads, as its kernels get
    with _ONE_AT_A_TIME, environment_set(bundle["env"]), kernel_threads():
        reap_orphaned_sandboxes()  # what a worker of this machine killed earlier left (a listdir)
        result = _grade_in_scratch(bundle, job)
    result.update(worker=worker.address if worker else "", host=socket.gethostname(),
                  started=started, ended=time.time())
    return result


def _grade_in_scratch(bundle, job):
    from autograder.grading.one_submission import Clock, run_nbgrader_autograde
    from autograder.notes import read_notes
    from autograder.sandbox.limits import SandboxLimits

    began = time.perf_counter()
    warm_imports()
    lesson, student = job["lesson"], job["student"]
    scratch = Path(tempfile.mkdtemp(prefix="autograde-"))
    database = Path(tempfile.mkstemp(prefix="gradebook-", suffix=".db", dir=_fast_folder())[1])
    try:
        root = scratch / "course"
        write_tree(root / "notebooks" / lesson, bundle["extras"])
        write_tree(root / "submitted" / student / lesson, job["files"])
        secret = root / ".autograder-secret"
        secret.write_bytes(bundle["secret"])
        secret.chmod(0o600)
        database.write_bytes(bundle["gradebook"])
        limits = SandboxLimits(*bundle["limits"]) if bundle["limits"] else None
        course = Course(root=root, source=root / "notebooks", timeout=bundle["timeout"],
                        sandbox=bundle["sandbox"], limits=limits,
                        answer_rules=bundle.get("answer_rules", True), grading_mode=bundle["grading_mode"])
        clock = Clock()
        setup = time.perf_counter() - began
        success, error = run_nbgrader_autograde(course, lesson, student, db_url=f"sqlite:///{database}",
                                                clock=clock, record=False,
                                                start_ahead=job.get("start_ahead", True))
        logfile = course.log_dir / f"autograde-{lesson}-{student}.log"
        return {"success": success, "error": error,
                "files": read_tree(root / "autograded" / student / lesson),
                "notes": read_notes(course.log_dir, lesson, student),
                "log": logfile.read_text(errors="replace") if logfile.exists() else "",
                "phases": dict(clock.phases(), setup=setup)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        database.unlink(missing_ok=True)
