"""The bubblewrap sandbox of one kernel: its folders, its environment and its command line.

Switched on for nbgrader with
``c.Execute.kernel_manager_class = "autograder.sandbox.kernel_manager.SandboxedKernelManager"``.

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

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from autograder.sandbox import seccomp
from autograder.sandbox.cgroups import CGROUP_FS, Cgroup, parent_pid
from autograder.sandbox.limits import MiB, SandboxLimits, describe_size
from autograder.sandbox.plain_files import copy_plain
from autograder.sandbox.scratch import copy_read_only, is_full, make_scratch, remove_scratch

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
        self.cgroup: Cgroup | None = Cgroup(limits)
        try:
            self.scratch, self.disk_capped = make_scratch(scratch_base, limits.disk_bytes)
            self.home = os.path.join(self.scratch, "home")
            self.work = os.path.join(self.scratch, "work")
            self.data = os.path.join(self.scratch, "data")
            self.lib = os.path.join(self.scratch, "lib")
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
        os.mkdir(self.work)
        self._mirror_data_home()
        self.give_away(self.scratch)
        self._copy_packages()
        if folder:
            self.receive(folder)

    def _copy_packages(self) -> None:
        """lib/: a copy of each course package (the grader's own, never the submission's), bound
        into the sandbox from here so that its mount shows no host path; root's and read-only
        when the kernel runs as another user."""
        copy_read_only([source for _, source in self._package_sources()], self.lib, protect=self.uid is not None)

    def receive(self, folder: str) -> None:
        """Copy the submission folder into work/ (also into a kernel that is already running
        there, warm): regular files and folders only, no link followed, no FIFO opened, and
        nothing that would shadow a course package."""
        self.notes += copy_plain(folder, self.work)
        for name in sorted(os.listdir(self.work)):
            if name.split(".")[0] in self.packages:  # course_utils/, course_utils.py, .pyc, .so
                path = os.path.join(self.work, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
                self.notes.append(f"removed {name} from the submission's folder: it would "
                                  f"replace the course's {name.split('.')[0]} package")
        self.give_away(self.work)

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

    def _package_sources(self) -> list[tuple[str, str]]:
        """(name, host path) of each course package: its folder, or its module file."""
        sources = []
        for name in self.packages:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.origin:
                continue
            is_pkg = spec.submodule_search_locations is not None
            sources.append((name, os.path.dirname(spec.origin) if is_pkg else spec.origin))
        return sources

    def _package_binds(self) -> list[tuple[str, str]]:
        """The copies in lib/ (see :meth:`_copy_packages`) at COURSE_LIB."""
        if not os.path.isdir(self.lib):
            return []
        return [(os.path.join(self.lib, name), f"{COURSE_LIB}/{name}") for name in sorted(os.listdir(self.lib))]

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
        args += system_binds()
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
        and the seccomp filter (autograder/sandbox/seccomp.py) through another."""
        full = self.command(kernel_cmd, env)
        split = full.index("--")
        fds = [_memfd("bwrap-options", b"".join(a.encode() + b"\0" for a in full[1:split]))]
        head = [full[0], "--args", str(fds[0])]
        syscall_filter = seccomp.program()
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

    def started(self, process: subprocess.Popen, clock: bool = True) -> None:
        """The kernel runs; ``clock``: its submission time starts now (a warm kernel's starts
        when it receives its submission, :meth:`start_clock`)."""
        self.process = process
        if clock:
            self.start_clock()

    def start_clock(self) -> None:
        if self.limits.submission_seconds and self._timer is None:
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
                if parent_pid(pid) == self.process.pid:
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
            lines.append(f"memory limit {describe_size(self.limits.memory_bytes)} reached ({who})")
        if refused:
            lines.append(f"process limit {self.limits.max_processes} reached")
        if self.timed_out:
            lines.append(f"submission time limit {self.limits.submission_seconds:g} s reached "
                         "(kernel killed)")
        if self.disk_capped and is_full(self.scratch):
            lines.append(f"disk limit {describe_size(self.limits.disk_bytes)} reached: the submission's "
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


def system_binds() -> list[str]:
    """bubblewrap arguments that show the system folders read-only (links as links)."""
    args = []
    for top in SYSTEM_DIRS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def sandbox_unavailable(run_as: int = NOBODY) -> str | None:
    """None when kernels can be sandboxed here, else one line on what is missing."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed: apt-get install bubblewrap"
    drop = os.geteuid() == 0 and run_as >= 0
    if drop and shutil.which("setpriv") is None:
        return "setpriv is not installed: apt-get install util-linux"
    # only the system folders, as a kernel's sandbox: a bind of all of "/" would also take the
    # scratch mounts of kernels running meanwhile, and fail when one goes away during the bind
    cmd = [bwrap, *system_binds(), "--proc", "/proc", "--dev", "/dev", *_unshare_args(),
           "--die-with-parent", "--new-session", "--", *(_drop_to(run_as) if drop else []), "true"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap does not run here: {e}"
    if result.returncode:
        return (f"bubblewrap cannot make a sandbox here ({result.stderr.strip()}): it needs root "
                "or user namespaces; in a container run it with --privileged")
    try:
        Cgroup(SandboxLimits()).remove()
    except OSError as e:
        return (f"cgroups not writable ({e}): run the autograder as root with {CGROUP_FS} "
                "mounted read-write (in a container: --privileged)")
    return None
