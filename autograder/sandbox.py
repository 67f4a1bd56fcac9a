"""Run each submission's Jupyter kernel in a bubblewrap sandbox, with cgroup limits.

Switched on for nbgrader with
``c.Execute.kernel_manager_class = "autograder.sandbox.SandboxedKernelManager"``.

The kernel sees the system folders, the Python environment, the course package and the data
folders read-only, and a private scratch folder holding a copy of the submission folder (its
working directory), a writable mirror of the course's data home ($COURSE_DATA), the
connection file and the ipc sockets. It has no network, its own /tmp, PID, IPC and UTS
namespaces, and runs as ``nobody`` when the autograder runs as root.
With ``device_nodes`` (set by the grader only when CUDA_VISIBLE_DEVICES is set) those device
files, e.g. /dev/nvidiactl and /dev/nvidia0, are bound into its /dev, /sys is readable and the
CUDA_* variables of GPU selection are passed on, so the kernel can use that GPU and no other.
A cgroup caps its memory and its number of processes and lets every process of it be killed
at the end, daemons included; a timer kills it when the submission time is up.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Float, Instance, Integer, List, Type, Unicode, default
from traitlets.utils.importstring import import_item

from autograder import seccomp_filter
from autograder.scratch import is_full, make_scratch, remove_scratch
from autograder.submission_files import copy_plain

MiB = 1 << 20
GiB = 1 << 30
CGROUP_FS = "/sys/fs/cgroup"
COURSE_LIB = "/opt/course/lib"
COURSE_VENV = "/opt/course/venv"  # the course's virtual environment, whatever its host path
COURSE_DATA = "/opt/course/data"
NOBODY = 65534
MIRROR_COPY_MAX = 1 * MiB  # data home files up to this size are copied, bigger ones linked
DATA_ENV = ("COURSE_DATA", "COURSE_MNIST_DIR")
PASSED_ENV = ("OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA",
              "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")
# Grading compares no outputs with stored ones, so its convolutions keep oneDNN (twice as fast as
# the reference runs' im2col, autograder/kernel_env.py).
NOT_PASSED_ENV = ("COURSE_REFERENCE_KERNELS",)
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc")
GPU_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NVIDIA_VISIBLE_DEVICES")


@dataclass
class SandboxLimits:
    """Limits of one kernel; 0 switches a limit off."""

    memory_bytes: int = 4 * GiB
    max_processes: int = 512
    submission_seconds: float = 1800
    disk_bytes: int = 1 * GiB  # the scratch folder, a tmpfs of this size (as root)
    cpu_cores: float = 0.0  # CPU time per second the kernel may use (0: no quota)


def _read(path) -> str:
    with open(path) as f:
        return f.read()


def _write(path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _size(n: int) -> str:
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if n >= unit and n % (unit // 4) == 0:
            return f"{n / unit:g} {name}"
    return f"{n} bytes"


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for a v1 controller, or on v2 for controller ''."""
    for line in _read("/proc/self/cgroup").splitlines():
        _, names, path = line.split(":", 2)
        if (controller in names.split(",")) if controller else not names:
            return path
    return "/"


def _v2_parent_ok(folder: Path) -> bool:
    """Whether new cgroups below folder get the memory and pids controllers."""
    wanted = {"memory", "pids"}
    try:
        if not wanted <= set(_read(folder / "cgroup.controllers").split()):
            return False
        if wanted <= set(_read(folder / "cgroup.subtree_control").split()):
            return os.access(folder, os.W_OK)
        # fails (EBUSY) in a non-root cgroup that has processes itself
        _write(folder / "cgroup.subtree_control", "+memory +pids")
        if "cpu" in _read(folder / "cgroup.controllers").split():
            with contextlib.suppress(OSError):  # the CPU quota is kept where it can be
                _write(folder / "cgroup.subtree_control", "+cpu")
        return True
    except OSError:
        return False


def _cgroup_parents() -> tuple[str, list[Path]]:
    """("v2", [folder]) or ("v1", [memory folder, pids folder(, cpu folder)]) to create
    cgroups in (the cpu controller where it is mounted: it caps the kernel's CPU time)."""
    root = Path(CGROUP_FS)
    if (root / "cgroup.controllers").exists():
        folder = Path(CGROUP_FS + _own_cgroup(""))
        while True:
            if _v2_parent_ok(folder):
                return "v2", [folder]
            if folder == root:
                raise OSError(f"no cgroup v2 folder of {CGROUP_FS} with the memory and pids "
                              "controllers is writable")
            folder = folder.parent
    parents = []
    for controller in ("memory", "pids", "cpu"):
        mount = root / controller
        if not (mount / "cgroup.procs").exists():
            if controller == "cpu":
                break
            raise OSError(f"no cgroup {controller} controller mounted at {mount}")
        own = Path(str(mount) + _own_cgroup(controller))
        parents.append(own if own.is_dir() else mount)
    return "v1", parents


def _fields(path) -> dict[str, int]:
    try:
        pairs = (line.split() for line in _read(path).splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}
    except OSError:
        return {}


class _Cgroup:
    """The cgroup of one sandbox: one folder on cgroup v2, a memory and a pids folder on v1."""

    def __init__(self, limits: SandboxLimits):
        self.version, parents = _cgroup_parents()
        name = f"autograder-sandbox-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.dirs: list[Path] = []
        try:
            for parent in parents:
                (parent / name).mkdir()
                self.dirs.append(parent / name)
            self._set_limits(limits)
        except BaseException:
            self.remove()
            raise
        self.procs_files = [str(d / "cgroup.procs") for d in self.dirs]

    def _set_limits(self, limits: SandboxLimits) -> None:
        mem, pids = self.dirs[0], self.dirs[min(1, len(self.dirs) - 1)]
        if limits.cpu_cores:
            period = 100_000
            quota = str(max(1000, int(limits.cpu_cores * period)))
            if self.version == "v2" and (mem / "cpu.max").exists():
                _write(mem / "cpu.max", f"{quota} {period}")
            elif self.version == "v1" and len(self.dirs) > 2:
                _write(self.dirs[2] / "cpu.cfs_period_us", str(period))
                _write(self.dirs[2] / "cpu.cfs_quota_us", quota)
        if limits.memory_bytes and self.version == "v2":
            _write(mem / "memory.max", str(limits.memory_bytes))
            if (mem / "memory.swap.max").exists():
                _write(mem / "memory.swap.max", "0")
        elif limits.memory_bytes:
            _write(mem / "memory.limit_in_bytes", str(limits.memory_bytes))
            if (mem / "memory.memsw.limit_in_bytes").exists():  # memory + swap
                _write(mem / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        if limits.max_processes:
            _write(pids / "pids.max", str(limits.max_processes))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs_files:
            try:
                found.update(int(p) for p in _read(path).split())
            except OSError:
                pass
        return found

    def kill_all(self) -> None:
        kill_file = self.dirs[0] / "cgroup.kill"
        if self.version == "v2" and kill_file.exists():
            try:
                _write(kill_file, "1")
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def events(self) -> tuple[int, int]:
        """(processes killed for memory, forks refused by the process limit)."""
        mem, pids = self.dirs[0], self.dirs[min(1, len(self.dirs) - 1)]
        if self.version == "v2":
            oom = _fields(mem / "memory.events").get("oom_kill", 0)
        else:
            oom = _fields(mem / "memory.oom_control").get("oom_kill")
            if oom is None:  # kernels before 4.13 do not count kills
                try:
                    oom = int(_read(mem / "memory.failcnt"))
                except (OSError, ValueError):
                    oom = 0
        return oom, _fields(pids / "pids.events").get("max", 0)

    def remove(self) -> None:
        for folder in self.dirs:
            for _ in range(100):  # the last processes may take a moment to leave
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _ppid(pid: int) -> int:
    try:
        return int(_read(f"/proc/{pid}/stat").rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _inside(path: str) -> str:
    """Where a host path of the course's Python is in the sandbox: a virtual environment
    (which often lies in the course folder) at COURSE_VENV, anything else where it is."""
    venv = sys.prefix
    if venv != sys.base_prefix and (path == venv or path.startswith(venv + "/")):
        return COURSE_VENV + path[len(venv):]
    return path


def _memfd(name: str, data: bytes) -> int:
    """A file descriptor of an anonymous in-memory file holding ``data``, read from its start."""
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _unshare_args() -> list[str]:
    if os.geteuid() == 0:  # no user namespace: it would map only uid 0, and setpriv needs more
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
    return ["--unshare-all"]


def _drop_to(uid: int) -> list[str]:
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--bounding-set=-all", "--"]


class Sandbox:
    """Scratch folder, cgroup, timer and bubblewrap command line of one kernel."""

    def __init__(self, limits: SandboxLimits, scratch_base: str = "", data_dirs=(),
                 packages=("course_utils",), run_as: int = NOBODY, data_home: str = "",
                 device_nodes=()):
        self.limits = limits
        self.device_nodes = [d for d in device_nodes if d.startswith("/dev/") and os.path.exists(d)]
        self.data_dirs = [d for d in data_dirs if os.path.isdir(d)]
        self.data_home = data_home if data_home and os.path.isdir(data_home) else ""
        self.packages = list(packages)
        self.uid = run_as if os.geteuid() == 0 and run_as >= 0 else None
        self.notes: list[str] = []
        self.timed_out = False
        self.process: subprocess.Popen | None = None
        self._timer: threading.Timer | None = None
        self._hits: list[str] = []
        self._lock = threading.RLock()
        self.cgroup: _Cgroup | None = _Cgroup(limits)
        try:
            self.scratch, self.disk_capped = make_scratch(scratch_base, limits.disk_bytes)
            self.home = os.path.join(self.scratch, "home")
            self.work = os.path.join(self.scratch, "work")
            self.data = os.path.join(self.scratch, "data")
            for sub in (".mpl", ".ipython"):
                os.makedirs(os.path.join(self.home, sub))
            os.mkdir(os.path.join(self.scratch, "runtime"))
        except BaseException:
            self.cgroup.remove()
            if getattr(self, "scratch", None):
                remove_scratch(self.scratch, self.disk_capped)
            raise

    def prepare(self, folder: str | None) -> None:
        """Fill the scratch folder: work/ = a copy of the submission folder, minus anything
        shadowing a course package, and data/."""
        if folder:  # regular files and folders only: no link is followed, no FIFO opened
            self.notes += copy_plain(folder, self.work)
        else:
            os.mkdir(self.work)
        for name in sorted(os.listdir(self.work)):
            if name.split(".")[0] in self.packages:  # course_utils/, course_utils.py, .pyc, .so
                path = os.path.join(self.work, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
                self.notes.append(f"removed {name} from the submission's folder: it would "
                                  f"replace the course's {name.split('.')[0]} package")
        self._mirror_data_home()
        self.give_away(self.scratch)

    def _mirror_data_home(self) -> None:
        """data/: the data home's folders, writable, with its small files copied and links
        to its big (read-only) ones.

        Notebooks read cached datasets from the data home and save models into it, also over
        files that are there already; here what they save stays in the scratch folder.
        """
        os.mkdir(self.data)
        if not self.data_home:
            return
        for top, dirs, files in os.walk(self.data_home):
            rel = os.path.relpath(top, self.data_home)
            for name in dirs + files:
                source, mirror = os.path.join(top, name), os.path.join(self.data, rel, name)
                if name in dirs and not os.path.islink(source):
                    os.mkdir(mirror)
                elif os.path.islink(source) or os.path.getsize(source) > MIRROR_COPY_MAX:
                    os.symlink(os.path.normpath(os.path.join(COURSE_DATA, rel, name)), mirror)
                else:
                    shutil.copy2(source, mirror)

    def give_away(self, path: str) -> None:
        """Hand path (and what is below it) to the sandbox's user."""
        if self.uid is None:
            return
        os.lchown(path, self.uid, self.uid)
        for top, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(top, name), self.uid, self.uid)

    def _package_binds(self) -> list[tuple[str, str]]:
        binds = []
        for name in self.packages:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.origin:
                continue
            is_pkg = spec.submodule_search_locations is not None
            source = os.path.dirname(spec.origin) if is_pkg else spec.origin
            binds.append((source, f"{COURSE_LIB}/{os.path.basename(source)}"))
        return binds

    def environment(self, env: dict) -> dict[str, str]:
        new = {
            "PATH": f"{_inside(sys.prefix)}/bin:/usr/local/bin:/usr/bin:/bin",
            "HOME": self.home,
            "MPLCONFIGDIR": f"{self.home}/.mpl",
            "IPYTHONDIR": f"{self.home}/.ipython",
            "JUPYTER_RUNTIME_DIR": f"{self.scratch}/runtime",
            "PYTHONPATH": COURSE_LIB,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "JPY_PARENT_PID": "1",  # ipykernel: no parent polling, no console banner
        }
        new.update({k: v for k, v in env.items()
                    if (k.startswith("COURSE_") or k in PASSED_ENV) and k not in NOT_PASSED_ENV})
        if self.device_nodes:
            new.update({k: v for k, v in env.items() if k in GPU_ENV})
        if self.data_home:
            new["COURSE_DATA"] = self.data
        return new

    def command(self, kernel_cmd: list[str], env: dict) -> list[str]:
        """The bubblewrap command line that runs kernel_cmd in the sandbox."""
        args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
                *_unshare_args()]
        for top in SYSTEM_DIRS:
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        for secret in ("/etc/shadow", "/etc/gshadow"):
            if os.path.exists(secret):
                args += ["--ro-bind", "/dev/null", secret]
        size = ["--size", str(self.limits.disk_bytes)] if self.limits.disk_bytes else []
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", *size, "--tmpfs", "/dev/shm",
                 "--perms", "1777", *size, "--tmpfs", "/tmp"]
        for node in self.device_nodes:
            args += ["--dev-bind", node, node]
        if self.device_nodes and os.path.isdir("/sys/bus/pci"):
            args += ["--ro-bind", "/sys", "/sys"]  # CUDA reads the GPUs' PCI topology there
        binds = [(p, _inside(p)) for p in dict.fromkeys(
            [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix])
            if not any(p == d or p.startswith(d + "/") for d in SYSTEM_DIRS)]
        binds += [(d, d) for d in self.data_dirs] + self._package_binds()
        if self.data_home:
            binds.append((self.data_home, COURSE_DATA))
        for source, dest in binds + [(self.scratch, self.scratch)]:
            # bwrap would copy the modes of the host's parents (/root is 0700)
            for parent in reversed(Path(dest).parents[:-1]):
                args += ["--dir", str(parent)]
            bind = "--bind" if dest == self.scratch else "--ro-bind"
            args += [bind, os.path.realpath(source), dest]
        args += ["--chdir", self.work, "--clearenv"]
        for key, value in self.environment(env).items():
            args += ["--setenv", key, value]
        if self.uid is None:
            args += ["--cap-drop", "ALL", "--"]
        else:
            args += ["--", *_drop_to(self.uid)]
        return args + [_inside(arg) for arg in kernel_cmd]

    def launch_command(self, kernel_cmd: list[str], env: dict) -> tuple[list[str], list[int]]:
        """The command that starts the kernel, and the file descriptors it must inherit.

        bubblewrap's options (the bind mounts name the course's folders) reach it through a
        file descriptor (``--args``), so that the sandbox's /proc/1/cmdline does not show them,
        and the seccomp filter (autograder/seccomp_filter.py) through another."""
        full = self.command(kernel_cmd, env)
        split = full.index("--")
        fds = [_memfd("bwrap-options", b"".join(a.encode() + b"\0" for a in full[1:split]))]
        head = [full[0], "--args", str(fds[0])]
        syscall_filter = seccomp_filter.program()
        if syscall_filter is None:
            self.notes.append("no seccomp filter: it is made for x86-64 processors only")
        else:
            fds.append(_memfd("seccomp", syscall_filter))
            head += ["--seccomp", str(fds[-1])]
        return head + full[split:], fds

    def enter_cgroup(self) -> None:
        """Popen preexec_fn: move the child into the cgroup before it runs bwrap."""
        pid = str(os.getpid()).encode()
        for path in self.cgroup.procs_files:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def started(self, process: subprocess.Popen) -> None:
        self.process = process
        if self.limits.submission_seconds:
            self._timer = threading.Timer(self.limits.submission_seconds, self._time_up)
            self._timer.daemon = True
            self._timer.start()

    def _time_up(self) -> None:
        with self._lock:
            if self.cgroup is not None:
                self.timed_out = True
                self.kill_all()

    def signal_kernel(self, signum: int) -> None:
        """Signal the kernel's process group, as LocalProvisioner does without a sandbox.

        bwrap itself would die of SIGINT; its init process inside (the session leader)
        ignores signals from outside its PID namespace, the kernel and its children do not.
        """
        with self._lock:
            if self.cgroup is None or self.process is None:
                return
            for pid in self.cgroup.pids():
                if _ppid(pid) == self.process.pid:
                    try:
                        os.killpg(pid, signum)
                    except OSError:
                        pass
                    return

    def kill_all(self) -> None:
        """SIGKILL every process of the sandbox."""
        with self._lock:
            if self.cgroup is not None:
                self.cgroup.kill_all()

    def _read_hits(self) -> list[str]:
        lines = []
        oom, refused = self.cgroup.events()
        if oom:
            code = self.process.poll() if self.process else None
            # bwrap exits 128 + signal when the kernel was killed
            who = "kernel killed" if code == 128 + signal.SIGKILL else "a process was killed"
            lines.append(f"memory limit {_size(self.limits.memory_bytes)} reached ({who})")
        if refused:
            lines.append(f"process limit {self.limits.max_processes} reached")
        if self.timed_out:
            lines.append(f"submission time limit {self.limits.submission_seconds:g} s reached "
                         "(kernel killed)")
        if self.disk_capped and is_full(self.scratch):
            lines.append(f"disk limit {_size(self.limits.disk_bytes)} reached: the submission's "
                         "folder is full (writes failed)")
        return lines

    def limits_hit(self) -> list[str]:
        """One line for each limit the kernel ran into."""
        with self._lock:
            return self._read_hits() if self.cgroup is not None else list(self._hits)

    def cleanup(self) -> None:
        """Kill every process, then remove the cgroup and the scratch folder."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self.cgroup is None:
                return
            self.cgroup.kill_all()
            if self.process is not None:
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            self._hits = self._read_hits()
            self.cgroup.remove()
            self.cgroup = None
            remove_scratch(self.scratch, self.disk_capped)


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
        self.parent._sandbox.started(self.process)
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

    memory_limit = Integer(4 * GiB, config=True, help="Memory of a kernel, in bytes (0: no limit)")
    process_limit = Integer(512, config=True,
                            help="Processes and threads of a kernel together (0: no limit)")
    time_limit = Float(1800, config=True,
                       help="Seconds a kernel may live, i.e. one submission (0: no limit)")
    disk_limit = Integer(1 * GiB, config=True,
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
        self._sandbox: Sandbox | None = None
        self._finalizer = None

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


def sandbox_unavailable(run_as: int = NOBODY) -> str | None:
    """None when kernels can be sandboxed here, else one line on what is missing."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed: apt-get install bubblewrap"
    drop = os.geteuid() == 0 and run_as >= 0
    if drop and shutil.which("setpriv") is None:
        return "setpriv is not installed: apt-get install util-linux"
    cmd = [bwrap, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", *_unshare_args(),
           "--die-with-parent", "--new-session", "--", *(_drop_to(run_as) if drop else []), "true"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap does not run here: {e}"
    if result.returncode:
        return (f"bubblewrap cannot make a sandbox here ({result.stderr.strip()}): it needs root "
                "or user namespaces; in a container run it with --privileged")
    try:
        _Cgroup(SandboxLimits()).remove()
    except OSError as e:
        return (f"cgroups not writable ({e}): run the autograder as root with {CGROUP_FS} "
                "mounted read-write (in a container: --privileged)")
    return None
