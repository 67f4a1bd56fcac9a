"""Jupyter's kernel manager and provisioner for sandboxed kernels (autograder/sandbox/bubblewrap.py).

Switched on for nbgrader with
``c.Execute.kernel_manager_class = "autograder.sandbox.kernel_manager.SandboxedKernelManager"``.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import uuid
import weakref

import zmq
import zmq.asyncio
from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import (
    DottedObjectName,
    Float,
    Instance,
    Integer,
    List,
    Type,
    Unicode,
    default,
)
from traitlets.utils.importstring import import_item

from autograder.sandbox.bubblewrap import (
    COURSE_LIB,
    DATA_ENV,
    NOBODY,
    Sandbox,
)
from autograder.sandbox.limits import MiB, SandboxLimits


class SandboxProvisioner(LocalProvisioner):
    """LocalProvisioner that starts the kernel inside its manager's Sandbox."""

    async def pre_launch(self, **kwargs):
        km = self.parent
        box = km._open_sandbox(kwargs.pop("cwd", None))
        kwargs = await super().pre_launch(**kwargs)  # writes the connection file
        box.give_away(km.connection_file)
        kwargs["cmd"], fds = box.launch_command(kwargs["cmd"], kwargs["env"])
        kwargs["pass_fds"] = tuple(fds)
        kwargs["cwd"] = box.work
        kwargs["preexec_fn"] = box.enter_cgroup
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        try:
            info = await super().launch_kernel(cmd, **kwargs)
        finally:
            for fd in kwargs.get("pass_fds", ()):
                os.close(fd)  # bubblewrap has its own copies
        self.parent._sandbox.started(self.process, clock=not self.parent.warm)
        return info

    async def send_signal(self, signum: int) -> None:
        box = self.parent._sandbox
        if self.process is None or box is None:
            return
        if signum == signal.SIGKILL:
            box.kill_all()
        else:
            box.signal_kernel(signum)

    async def cleanup(self, restart: bool = False) -> None:
        self.parent._close_sandbox()
        await super().cleanup(restart=restart)


class SandboxedKernelManager(AsyncKernelManager):
    """AsyncKernelManager (what nbclient and nbgrader use) whose kernels run in a Sandbox."""

    memory_limit = Integer(SandboxLimits.memory_bytes, config=True, help="Memory of a kernel, in bytes (0: no limit)")
    process_limit = Integer(SandboxLimits.max_processes, config=True,
                            help="Processes and threads of a kernel together (0: no limit)")
    time_limit = Float(SandboxLimits.submission_seconds, config=True,
                       help="Seconds a kernel may live, i.e. one submission (0: no limit)")
    disk_limit = Integer(SandboxLimits.disk_bytes, config=True,
                         help="Bytes the kernel's scratch folder may hold: a tmpfs of this size "
                              "when grading as root (0: no limit)")
    cpu_limit = Float(config=True,
                      help="Cores' worth of CPU time the kernel may use (a cgroup quota; 0: none). "
                           "Default: its share of the machine, OMP_NUM_THREADS when set (one "
                           "grading worker of several), else every core")

    @default("cpu_limit")
    def _cpu_limit_default(self):
        threads = os.environ.get("OMP_NUM_THREADS", "")
        return float(threads) if threads.isdigit() and int(threads) > 0 else float(os.cpu_count() or 1)
    scratch_base = Unicode("", config=True,
                           help="Folder for the kernels' scratch folders (default: system temp)")
    data_dirs = List(Unicode(), config=True,
                     help="Folders the kernel may read (default: $COURSE_DATA, $COURSE_MNIST_DIR)")
    data_home = Unicode(config=True,
                        help="The course's dataset folder; the kernel's $COURSE_DATA is a writable "
                             "mirror of it (default: $COURSE_DATA, else data/ beside the course "
                             "package, as course_utils.settings.data_home)")
    course_packages = List(Unicode(), ["course_utils"], config=True,
                           help=f"Installed packages the kernel imports from {COURSE_LIB}")
    sandbox_uid = Integer(NOBODY, config=True,
                          help="uid the kernel runs as when the autograder runs as root "
                               "(-1: stay root, without capabilities)")
    max_message = Integer(32 * MiB, config=True,
                          help="Bytes of one message from the kernel; a larger one is dropped "
                               "unread (ZMQ_MAXMSGSIZE), so it never sits in the grader's memory")
    message_queue = Integer(16, config=True,
                            help="Messages from the kernel queued for the grader at most "
                                 "(ZMQ_RCVHWM); with max_message, what a flood can make the "
                                 "grader hold before it is read and counted")
    preload = List(Unicode(), config=True,
                   help="Modules a warm kernel imports while it waits for its submission "
                        "(autograder/sandbox/warm_kernels.py)")
    device_nodes = List(Unicode(), config=True,
                        help="Device files bound into the kernel's /dev (GPUs: /dev/nvidiactl, "
                             "/dev/nvidia-uvm, /dev/nvidia0, ...); the CUDA_* variables that "
                             "select GPUs are then passed on. Default: none")

    @default("transport")
    def _transport_default(self):
        return "ipc"  # TCP cannot reach into the sandbox's network namespace

    @default("data_dirs")
    def _data_dirs_default(self):
        return [os.environ[v] for v in DATA_ENV if os.path.isdir(os.environ.get(v, ""))]

    @default("data_home")
    def _data_home_default(self):
        if os.environ.get("COURSE_DATA"):
            return os.environ["COURSE_DATA"]
        spec = importlib.util.find_spec(self.course_packages[0]) if self.course_packages else None
        if spec is None or not spec.origin:
            return ""
        return os.path.join(os.path.dirname(os.path.dirname(spec.origin)), "data")

    def __init__(self, limits: SandboxLimits | None = None, **kwargs):
        super().__init__(**kwargs)
        if limits is not None:
            self.limits = limits
        self.sandbox_notes: list[str] = []
        self.warm = False  # started before its submission was known; waits for adopt()
        self._sandbox: Sandbox | None = None
        self._finalizer = None

    async def start_warm(self, extra_arguments=()) -> None:
        """Start the kernel now, in an empty work folder, importing ``preload`` while it waits;
        :meth:`adopt` hands it a submission later. Its submission time starts then."""
        self.warm = True
        lines = [f"--IPKernelApp.exec_lines=import {module} as _warm; del _warm"
                 for module in self.preload if all(part.isidentifier() for part in module.split("."))]
        await self.start_kernel(extra_arguments=[*extra_arguments, *lines])

    def adopt(self, folder: str | None) -> None:
        """Give a warm kernel its submission: the folder's regular files into its work folder."""
        if folder:
            self._sandbox.receive(folder)
        self.sandbox_notes = self._sandbox.notes
        self._sandbox.start_clock()
        self.warm = False

    @property
    def limits(self) -> SandboxLimits:
        return SandboxLimits(self.memory_limit, self.process_limit, self.time_limit,
                             self.disk_limit, self.cpu_limit)

    @limits.setter
    def limits(self, limits: SandboxLimits) -> None:
        self.memory_limit = limits.memory_bytes
        self.process_limit = limits.max_processes
        self.time_limit = limits.submission_seconds
        self.disk_limit = limits.disk_bytes
        if limits.cpu_cores:
            self.cpu_limit = limits.cpu_cores

    @property
    def sandbox_dir(self) -> str | None:
        """The current kernel's scratch folder."""
        return self._sandbox.scratch if self._sandbox else None

    client_context = zmq.asyncio.Context

    def client(self, **kwargs):
        """A client whose sockets take no message over ``max_message`` and queue at most
        ``message_queue`` of them: what the kernel sends is bounded before it is read."""
        if "context" not in kwargs:
            context = self.client_context()
            context.setsockopt(zmq.MAXMSGSIZE, self.max_message)
            context.setsockopt(zmq.RCVHWM, self.message_queue)
            kwargs["context"] = context
        client = super().client(**kwargs)
        client._created_context = True  # the client terminates it when it is done
        return client

    def limits_hit(self) -> list[str]:
        """The limits the last kernel ran into, e.g. ["process limit 512 reached"]."""
        return self._sandbox.limits_hit() if self._sandbox else []

    def kill_all(self) -> None:
        """SIGKILL every process of the kernel's sandbox now."""
        if self._sandbox:
            self._sandbox.kill_all()

    def discard(self) -> None:
        """Kill the kernel and remove its sandbox (a warm kernel nobody took)."""
        self.kill_all()
        self._close_sandbox()

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = SandboxProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    def _open_sandbox(self, cwd: str | None) -> Sandbox:
        self._close_sandbox()
        box = Sandbox(self.limits, self.scratch_base, self.data_dirs, self.course_packages,
                      self.sandbox_uid, self.data_home, self.device_nodes)
        self._sandbox = box
        # also runs when the manager is garbage-collected or Python exits
        self._finalizer = weakref.finalize(self, box.cleanup)
        try:
            box.prepare(cwd)
        except BaseException:
            self._close_sandbox()
            raise
        self.sandbox_notes = box.notes
        self.transport = "ipc"
        self.ip = os.path.join(box.scratch, "k")  # sockets are <ip>-<port>
        self.connection_file = os.path.join(box.scratch, "kernel.json")
        return box

    def _close_sandbox(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


class BlockingSandboxedKernelManager(SandboxedKernelManager):
    """SandboxedKernelManager with jupyter_client's blocking API (scripts, tests)."""

    client_class = DottedObjectName("jupyter_client.blocking.BlockingKernelClient", config=True)
    client_context = zmq.Context
    client_factory = Type(klass=KernelClient, config=True)
    context = Instance(zmq.Context)

    @default("client_factory")
    def _client_factory_default(self):
        return import_item(self.client_class)

    @default("context")
    def _context_default(self):
        self._created_context = True
        return zmq.Context()

    # AsyncKernelManager made these coroutines; take back KernelManager's blocking ones
    _launch_kernel = KernelManager._launch_kernel
    start_kernel = KernelManager.start_kernel
    pre_start_kernel = KernelManager.pre_start_kernel
    post_start_kernel = KernelManager.post_start_kernel
    request_shutdown = KernelManager.request_shutdown
    finish_shutdown = KernelManager.finish_shutdown
    cleanup_resources = KernelManager.cleanup_resources
    shutdown_kernel = KernelManager.shutdown_kernel
    restart_kernel = KernelManager.restart_kernel
    _send_kernel_sigterm = KernelManager._send_kernel_sigterm
    _kill_kernel = KernelManager._kill_kernel
    interrupt_kernel = KernelManager.interrupt_kernel
    signal_kernel = KernelManager.signal_kernel
    is_alive = KernelManager.is_alive
