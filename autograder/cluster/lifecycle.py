"""The grading cluster's life: an embedded Dask cluster of this machine (TLS, forkserver), or a
client of an existing scheduler; its workers checked before grading starts."""
from __future__ import annotations

import contextlib
import logging
import os
import platform
import socket

from autograder.course import InstructorError, root_config_value
from autograder.kernel_env import thread_environment, usable_cores


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
        answers = self.client.run(worker_report, self.course.sandbox, on_error="return")
        for address, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                raise InstructorError(f"worker {address} cannot grade: {type(answer).__name__}: "
                                      f"{answer} (install this repository's environment there)")
            if answer.get("problem"):
                raise InstructorError(f"worker {address} ({answer['host']}) cannot sandbox the "
                                      f"submissions: {answer['problem']}")


def worker_report(sandbox):
    from autograder.sandbox.bubblewrap import sandbox_unavailable

    return {"host": socket.gethostname(), "python": platform.python_version(),
            "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "problem": sandbox_unavailable() if sandbox else None}


# What a grading process imports: loaded once in the forkserver that every worker process of
# this machine is forked from (a worker started with "spawn" spent 5-20 s importing these).
WORKER_IMPORTS = ["distributed", "distributed.nanny", "distributed.worker", "nbgrader.converters",
                  "nbgrader.api", "nbgrader.preprocessors", "autograder.preprocessors.judge",
                  "autograder.grading.one_submission", "autograder.cluster.worker", "torch"]


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
    threads = max(1, usable_cores() // workers)
    security = Security.temporary()  # a CA and a certificate of its own, never on disk
    specs = {}
    for index in range(workers):
        env = thread_environment(threads)
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
