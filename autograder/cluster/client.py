"""On the grader: send a batch's submissions to the cluster and yield what each one gave."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass

from autograder.cluster.shipping import (
    MAX_SUBMISSION_BYTES,
    lesson_bundle,
    read_tree,
    write_tree,
)
from autograder.cluster.worker import TOPIC, grade_submission
from autograder.notes import add_note


def _key(job, batch, force):
    key = f"autograde-{job.lesson}-{job.student}-{(job.sha256 or 'none')[:16]}"
    return f"{key}-{batch}" if force else key


@dataclass
class Graded:
    """What the cluster gave for one submission: its autograded folder is written into the
    course; its grades are still to be recorded (from the private gradebook's definition)."""

    job: object  # autograder.grading.batch.Job
    success: bool
    error: str | None
    phases: dict
    problem: str | None = None


@dataclass
class Attempts:
    """Runs started on the workers (a retried submission counts each run)."""

    executed: int = 0
    retried: int = 0

    def count(self, per_key):
        self.executed = sum(per_key.values())
        self.retried = sum(n - 1 for n in per_key.values())


def grade_on_dask(course, cluster, jobs, attempts, force=False, say=print):
    """Grade ``jobs`` (autograder.grading.batch.Job) on ``cluster``; yields a Graded for each
    as it is done, and keeps ``attempts`` up to date."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    client = cluster.client
    say(f"  grading {len(jobs)} submission(s) on {cluster.n_workers()} worker(s) of the "
        f"{cluster.describe()}")
    batch = uuid.uuid4().hex[:12]
    per_key = {}
    lock = threading.Lock()

    def on_attempt(event):
        _, message = event
        if not isinstance(message, dict) or message.get("batch") != batch:
            return
        with lock:
            per_key[message["key"]] = per_key.get(message["key"], 0) + 1
            attempts.count(per_key)

    client.subscribe_topic(TOPIC, on_attempt)
    futures = {}
    try:
        with tempfile.TemporaryDirectory(prefix="autograde-bundles-") as scratch:
            # one future per bundle (scattering a dict itself would scatter its values under
            # its keys, the same keys for every lesson)
            bundles = {lesson: client.scatter([lesson_bundle(course, lesson, scratch)],
                                              broadcast=True, hash=False)[0]
                       for lesson in sorted({job.lesson for job in jobs})}
        workers = cluster.n_workers()
        for index, job in enumerate(jobs):
            key = _key(job, batch, force)
            try:
                files = read_tree(course.submitted_dir(job.student, job.lesson),
                                  limit=MAX_SUBMISSION_BYTES)
            except (OSError, ValueError) as error:
                _remove_autograded(course, job)
                yield Graded(job, False, None, {}, f"submission folder not readable: {error}")
                continue
            payload = {"lesson": job.lesson, "student": job.student, "sha256": job.sha256,
                       "files": files, "batch": batch, "key": key, "submitted": time.time(),
                       # the workers' last submissions: no kernel is started for a next one
                       "start_ahead": index < len(jobs) - workers}
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
                if result["files"]:
                    write_tree(course.autograded_notebook(job.student, job.lesson).parent,
                               result["files"])
                for note in result["notes"]:
                    add_note(str(course.log_dir), job.lesson, job.student, note)
                (course.log_dir / f"autograde-{job.lesson}-{job.student}.log").write_text(result["log"])
                phases = dict(result["phases"])
                busy = result["ended"] - result["started"]
                phases["queue"] = max(0.0, result["started"] - submitted)
                phases["transfer"] = max(0.0, received - submitted - phases["queue"] - busy)
            phases["recording"] = time.perf_counter() - began
            yield Graded(job, success, error, phases, problem)
    finally:
        client.unsubscribe_topic(TOPIC)
        for future in futures:
            future.release()
    _count_attempts(client, batch, attempts)


def _remove_autograded(course, job):
    folder = course.autograded_notebook(job.student, job.lesson).parent
    if folder.exists():
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                path.chmod(0o700 if path.is_dir() else 0o600)
        shutil.rmtree(folder, ignore_errors=True)


def _count_attempts(client, batch, attempts):
    """The exact counts from the scheduler's event log (the live ones may lag behind)."""
    try:
        events = client.get_events(TOPIC)
    except Exception:  # noqa: BLE001 - counts stay the live ones
        return
    per_key = {}
    for _, message in events:
        if isinstance(message, dict) and message.get("batch") == batch:
            per_key[message["key"]] = per_key.get(message["key"], 0) + 1
    if per_key:
        attempts.count(per_key)
