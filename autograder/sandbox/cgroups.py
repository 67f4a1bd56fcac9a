"""The cgroup of one sandboxed kernel: caps on its memory, processes and CPU time, a way to kill
every process in it, daemons included, and the reaping of cgroups whose grader died."""
from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

from autograder.sandbox.limits import SandboxLimits
from autograder.sandbox.scratch import reap_orphaned_scratch

CGROUP_FS = "/sys/fs/cgroup"
PREFIX = "autograder-sandbox"  # + -<pid of the grading process>-<random>


def read_text(path) -> str:
    with open(path) as f:
        return f.read()


def write_text(path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for a v1 controller, or on v2 for controller ''."""
    for line in read_text("/proc/self/cgroup").splitlines():
        _, names, path = line.split(":", 2)
        if (controller in names.split(",")) if controller else not names:
            return path
    return "/"


def _v2_parent_ok(folder: Path) -> bool:
    """Whether new cgroups below folder get the memory and pids controllers."""
    wanted = {"memory", "pids"}
    try:
        if not wanted <= set(read_text(folder / "cgroup.controllers").split()):
            return False
        if wanted <= set(read_text(folder / "cgroup.subtree_control").split()):
            return os.access(folder, os.W_OK)
        # fails (EBUSY) in a non-root cgroup that has processes itself
        write_text(folder / "cgroup.subtree_control", "+memory +pids")
        if "cpu" in read_text(folder / "cgroup.controllers").split():
            with contextlib.suppress(OSError):  # the CPU quota is kept where it can be
                write_text(folder / "cgroup.subtree_control", "+cpu")
        return True
    except OSError:
        return False


def cgroup_parents() -> tuple[str, list[Path]]:
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
        pairs = (line.split() for line in read_text(path).splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}
    except OSError:
        return {}


class Cgroup:
    """The cgroup of one sandbox: one folder on cgroup v2, a memory and a pids folder on v1."""

    def __init__(self, limits: SandboxLimits):
        self.version, parents = cgroup_parents()
        name = f"{PREFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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
                write_text(mem / "cpu.max", f"{quota} {period}")
            elif self.version == "v1" and len(self.dirs) > 2:
                write_text(self.dirs[2] / "cpu.cfs_period_us", str(period))
                write_text(self.dirs[2] / "cpu.cfs_quota_us", quota)
        if limits.memory_bytes and self.version == "v2":
            write_text(mem / "memory.max", str(limits.memory_bytes))
            if (mem / "memory.swap.max").exists():
                write_text(mem / "memory.swap.max", "0")
        elif limits.memory_bytes:
            write_text(mem / "memory.limit_in_bytes", str(limits.memory_bytes))
            if (mem / "memory.memsw.limit_in_bytes").exists():  # memory + swap
                write_text(mem / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        if limits.max_processes:
            write_text(pids / "pids.max", str(limits.max_processes))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs_files:
            try:
                found.update(int(p) for p in read_text(path).split())
            except OSError:
                pass
        return found

    def kill_all(self) -> None:
        kill_file = self.dirs[0] / "cgroup.kill"
        if self.version == "v2" and kill_file.exists():
            try:
                write_text(kill_file, "1")
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
                    oom = int(read_text(mem / "memory.failcnt"))
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


def parent_pid(pid: int) -> int:
    try:
        return int(read_text(f"/proc/{pid}/stat").rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def reap_orphaned_sandboxes():
    """Kill the kernels and remove the cgroups and scratch folders of sandboxes whose grading
    process died.

    A worker killed mid-submission (what the retries are for) cannot clean up its kernel's
    sandbox; the kernel can outlive it. Sandbox cgroups are named after the process that made
    them (autograder-sandbox-<pid>-...): one whose maker is gone is an orphan. Only this
    process's own cgroup parent is searched. Returns how many were reaped."""
    import signal

    try:
        _, parents = cgroup_parents()
    except OSError:
        return 0
    orphans = {}
    for parent in parents:
        for folder in parent.glob(f"{PREFIX}-*"):
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
