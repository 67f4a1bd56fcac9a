"""The sandbox's scratch folder: a size-capped tmpfs, removed even when its grader was killed.

Everything a kernel may write (its working folder, the mirror of the data home, its home and
runtime folder) lies below one scratch folder made by the grading process. As root, that
folder is a tmpfs of its own with a size cap, so a submission that writes without end fills
its own folder, not the machine's disk; tmpfs pages also count against the kernel's memory
cgroup. Its name carries the grading process's pid (``sandbox-<pid>-...``), so that the next
grading run on the machine unmounts and removes the scratch folders of a grader that was
killed before it could (``reap_orphaned_scratch``).
"""
import os
import shutil
import subprocess
import tempfile

PREFIX = "sandbox-"


def make_scratch(base: str = "", size_bytes: int = 0) -> tuple[str, bool]:
    """A new scratch folder below ``base`` (default: the temporary folder), mode 0700: a tmpfs
    of ``size_bytes`` when running as root and a size is given. Returns (path, capped)."""
    base = os.path.realpath(base or tempfile.gettempdir())
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base)
    capped = False
    if size_bytes and os.geteuid() == 0 and shutil.which("mount"):
        result = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                 f"size={int(size_bytes)},mode=0700,nosuid,nodev", "tmpfs", path],
                                capture_output=True, text=True)
        capped = result.returncode == 0
    return path, capped


def is_full(path: str, slack: int = 1 << 20) -> bool:
    """Whether the capped scratch folder at ``path`` has less than ``slack`` bytes free."""
    try:
        return shutil.disk_usage(path).free < slack
    except OSError:
        return False


def remove_scratch(path: str, capped: bool) -> None:
    """Unmount (when capped) and remove a scratch folder, whatever is in it."""
    if capped or os.path.ismount(path):
        subprocess.run(["umount", "--lazy", path], capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def reap_orphaned_scratch(base: str = "") -> int:
    """Remove the scratch folders below ``base`` whose grading process is gone (killed before
    it could clean up); returns how many."""
    base = os.path.realpath(base or tempfile.gettempdir())
    reaped = 0
    try:
        names = os.listdir(base)
    except OSError:
        return 0
    for name in names:
        maker = name[len(PREFIX):].split("-", 1)[0] if name.startswith(PREFIX) else ""
        path = os.path.join(base, name)
        if maker.isdigit() and not os.path.exists(f"/proc/{maker}") and os.path.isdir(path) \
                and not os.path.islink(path) and os.stat(path).st_uid == os.geteuid():
            remove_scratch(path, capped=False)
            reaped += 1
    return reaped


def copy_read_only(sources, folder: str, protect: bool) -> None:
    """Copy each file or folder of ``sources`` into the new ``folder``; with ``protect``, make the
    copies read-only for everyone (their owner stays this process's user)."""
    os.mkdir(folder)
    for source in sources:
        target = os.path.join(folder, os.path.basename(source))
        if os.path.isdir(source):
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    if not protect:
        return
    for top, _, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(top, name), 0o444)
        os.chmod(top, 0o555)
