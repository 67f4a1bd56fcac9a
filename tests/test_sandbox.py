"""The bubblewrap sandbox of submission kernels (autograder/sandbox/kernel_manager.py), with real kernels."""
import gc
import os
import random
import socket
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

from autograder.sandbox.bubblewrap import COURSE_LIB, sandbox_unavailable
from autograder.sandbox.kernel_manager import (
    BlockingSandboxedKernelManager,
    SandboxedKernelManager,
)
from autograder.sandbox.limits import MiB, SandboxLimits

REASON = sandbox_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path):
    """A course folder with a gradebook, the source notebooks and alice's submission."""
    root = tmp_path / "course"
    (root / "notebooks" / "lesson").mkdir(parents=True)
    (root / "gradebook.db").write_text("secret grades")
    lesson = root / "submitted" / "alice" / "lesson"
    lesson.mkdir(parents=True)
    (lesson / "data.txt").write_text("alice's data")
    return root


@pytest.fixture
def start(course):
    """start(**traits) -> (km, kc): a sandboxed kernel in alice's lesson folder."""
    managers = []

    def start(**traits):
        km = BlockingSandboxedKernelManager(**traits)
        managers.append(km)
        km.start_kernel(cwd=str(course / "submitted" / "alice" / "lesson"))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        return km, kc

    yield start
    for km in managers:
        km.shutdown_kernel(now=True)


def run(kc, code):
    """Execute code, return its stdout; fail on an error."""
    out = []

    def hook(msg):
        if msg["header"]["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out).strip()


def wait_dead(km, seconds):
    deadline = time.monotonic() + seconds
    while km.is_alive():
        assert time.monotonic() < deadline, "the kernel is still alive"
        time.sleep(0.1)


def host_pids(marker):
    """Pids of this machine's processes with marker in their command line."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and marker in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            pass
    return found


def wait_present(marker, seconds=5):
    deadline = time.monotonic() + seconds
    while not host_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return host_pids(marker)


DAEMON = """
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{}"])
    os._exit(0)
os.wait()
"""


def test_runs_code_in_a_copy_of_the_submission(start, course):
    km, kc = start()
    real = course / "submitted" / "alice" / "lesson"
    assert run(kc, "print(open('data.txt').read())") == "alice's data"
    assert run(kc, "import os; print(os.getcwd())") == os.path.join(km.sandbox_dir, "work")
    run(kc, "open('out.txt', 'w').write('x'); open('data.txt', 'w').write('changed')")
    assert not (real / "out.txt").exists()
    assert (real / "data.txt").read_text() == "alice's data"
    # torch works under the default limits
    matmul = "import torch; print((torch.ones(1000, 1000) @ torch.ones(1000, 1000))[0, 0].item())"
    assert run(kc, matmul) == "1000.0"
    assert km.limits_hit() == []
    scratch = km.sandbox_dir
    km.shutdown_kernel()
    assert not os.path.exists(scratch)


def test_sees_only_what_it_should(start, course, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "mnist.txt").write_text("digits")
    monkeypatch.setenv("COURSE_DATA", str(data))
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("HOST_SECRET", "s3cret")
    km, kc = start()
    assert run(kc, f"print(open({str(data / 'mnist.txt')!r}).read())") == "digits"
    assert run(kc, f"""
try:
    open({str(data / 'new.txt')!r}, 'w')
    print('written')
except OSError:
    print('refused')
""") == "refused"
    # $COURSE_DATA inside: a writable mirror (notebooks save models into it)
    assert run(kc, """
import os
home = os.environ['COURSE_DATA']
os.makedirs(f'{home}/models', exist_ok=True)
open(f'{home}/models/model.pt', 'w').write('weights')
print(open(f'{home}/mnist.txt').read())
open(f'{home}/mnist.txt', 'w').write('overwritten')
""") == "digits"
    assert sorted(p.name for p in data.iterdir()) == ["mnist.txt"]
    assert (data / "mnist.txt").read_text() == "digits"
    env = eval(run(kc, "import os; print(dict(os.environ))"))
    assert env["COURSE_QUICK"] == "1" and "HOST_SECRET" not in env
    assert env["HOME"].startswith(km.sandbox_dir)
    for path in (course / "gradebook.db", course / "notebooks", course, REPO / "course_utils",
                 REPO / "autograder", Path(__file__)):
        assert run(kc, f"import os; print(os.path.exists({str(path)!r}))") == "False", path
    venv = Path(sys.prefix)
    allowed = {venv.relative_to(REPO).parts[0]} if venv.is_relative_to(REPO) else set()
    visible = run(kc, f"import os; print(os.listdir({str(REPO)!r}) if os.path.isdir({str(REPO)!r}) "
                      "else [])")
    assert set(eval(visible)) <= allowed
    if os.geteuid() == 0:
        assert run(kc, "import os; print(os.getuid())") != "0"


def test_course_utils_is_read_only_and_cannot_be_shadowed(start, course):
    planted = course / "submitted" / "alice" / "lesson" / "course_utils"
    planted.mkdir()
    (planted / "__init__.py").write_text("FAKE = True\n")
    km, kc = start()
    assert len(km.sandbox_notes) == 1 and "course_utils" in km.sandbox_notes[0]
    assert planted.exists()  # only the copy lost it
    path = run(kc, "import course_utils; print(course_utils.__file__)")
    assert path.startswith(COURSE_LIB + "/course_utils/")
    assert run(kc, "import course_utils; print(hasattr(course_utils, 'FAKE'))") == "False"
    assert run(kc, f"""
try:
    open({path!r}, 'a')
    print('written')
except OSError as e:
    print('refused')
""") == "refused"


def test_no_network_and_private_tmp(start):
    server = socket.create_server(("127.0.0.1", 0))
    host_file = Path("/tmp") / f"host-{random.randrange(10**9)}"
    host_file.write_text("host")
    try:
        km, kc = start()
        port = server.getsockname()[1]
        assert run(kc, f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    print('connected')
except OSError:
    print('refused')
""") == "refused"
        name = f"/tmp/inside-{random.randrange(10**9)}"
        run(kc, f"open({name!r}, 'w').write('x')")
        assert not os.path.exists(name)
        assert run(kc, f"import os; print(os.path.exists({str(host_file)!r}))") == "False"
    finally:
        server.close()
        host_file.unlink()


def test_memory_limit_kills_the_kernel(start):
    km, kc = start(limits=SandboxLimits(memory_bytes=300 * MiB))
    kc.execute("x = b'x' * (1 << 30)")
    wait_dead(km, 30)
    assert km.limits_hit() == ["memory limit 300 MiB reached (kernel killed)"]
    km.cleanup_resources()
    assert km.limits_hit() == ["memory limit 300 MiB reached (kernel killed)"]


def test_process_limit_bounds_and_is_reported(start):
    km, kc = start(process_limit=40)
    marker = f"{random.randrange(10**6)}.5"
    started = int(run(kc, f"""
import subprocess
procs = []
for _ in range(100):
    try:
        procs.append(subprocess.Popen(['sleep', '{marker}']))
    except OSError:
        pass
print(len(procs))
"""))
    assert 0 < started < 40
    assert len(host_pids(marker.encode())) == started
    assert km.limits_hit() == ["process limit 40 reached"]
    km.shutdown_kernel()
    assert host_pids(marker.encode()) == []


def test_daemon_does_not_survive_shutdown(start):
    km, kc = start()
    marker = f"{random.randrange(10**6)}.25"
    run(kc, DAEMON.format(marker))
    assert len(wait_present(marker.encode())) == 1
    km.shutdown_kernel()
    assert host_pids(marker.encode()) == []


def test_daemon_does_not_survive_a_forgotten_manager(course):
    km = BlockingSandboxedKernelManager()
    km.start_kernel(cwd=str(course))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    marker = f"{random.randrange(10**6)}.75"
    run(kc, DAEMON.format(marker))
    scratch = km.sandbox_dir
    assert wait_present(marker.encode())
    kc.stop_channels()
    del km, kc
    gc.collect()
    assert host_pids(marker.encode()) == []
    assert not os.path.exists(scratch)


def test_submission_timer_kills_a_busy_kernel(start):
    km, kc = start(time_limit=6)
    kc.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass")
    wait_dead(km, 20)
    assert km.limits_hit() == ["submission time limit 6 s reached (kernel killed)"]


def test_interrupt_reaches_the_kernel(start):
    km, kc = start()
    msg_id = kc.execute("import time; print('sleeping', flush=True); time.sleep(60)")
    while kc.get_iopub_msg(timeout=10)["content"].get("text") != "sleeping\n":
        pass
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    while reply["parent_header"].get("msg_id") != msg_id:  # e.g. kernel_info replies
        reply = kc.get_shell_msg(timeout=10)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    time.sleep(1)  # ipykernel aborts requests that arrive just after an error (stop_on_error_timeout)
    assert run(kc, "print('alive')") == "alive"


def test_nbclient_runs_a_notebook_in_the_sandbox(course, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os; print(os.getcwd())"),
        nbformat.v4.new_code_cell("print(open('data.txt').read())"),
        nbformat.v4.new_code_cell("import course_utils; print(course_utils.__file__)"),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    config = Config()
    config.SandboxedKernelManager.scratch_base = str(scratch)
    config.SandboxedKernelManager.process_limit = 64
    folder = str(course / "submitted" / "alice" / "lesson")
    client = NotebookClient(nb, kernel_manager_class=SandboxedKernelManager, config=config,
                            resources={"metadata": {"path": folder}})
    client.execute()
    cwd, data, utils = (c.outputs[0]["text"].strip() for c in nb.cells)
    assert cwd.startswith(str(scratch) + "/sandbox-") and cwd.endswith("/work")
    assert data == "alice's data"
    assert utils.startswith(COURSE_LIB)
    assert list(scratch.iterdir()) == []


def test_the_submissions_folder_has_a_disk_limit(start):
    if os.geteuid() != 0:
        pytest.skip("the scratch folder is a size-capped tmpfs when grading as root")
    km, kc = start(disk_limit=8 * MiB)
    scratch = km.sandbox_dir
    assert os.path.ismount(scratch)
    out = run(kc, "import os\nwritten = 0\ntry:\n"
                  "    with open('big.bin', 'wb') as f:\n"
                  "        for _ in range(64):\n            f.write(os.urandom(1 << 20)); written += 1\n"
                  "            f.flush()\nexcept OSError as error:\n    print('stopped', error.errno)\n"
                  "print(written)")
    assert out.splitlines()[0] == "stopped 28" and int(out.splitlines()[-1]) < 9  # ENOSPC
    assert any(line.startswith("disk limit 8 MiB reached") for line in km.limits_hit())
    km.shutdown_kernel(now=True)
    assert not os.path.exists(scratch) and not os.path.ismount(scratch)


def test_a_killed_graders_scratch_folder_is_reaped(tmp_path):
    import subprocess

    from autograder.sandbox.scratch import make_scratch, reap_orphaned_scratch

    code = ("import sys; from autograder.sandbox.scratch import make_scratch\n"
            f"print(make_scratch({str(tmp_path)!r}, 4 << 20)[0])")
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    orphan = made.stdout.strip()  # its maker exited without cleaning up, as if killed
    assert os.path.isdir(orphan) and (os.path.ismount(orphan) or os.geteuid() != 0)
    mine, capped = make_scratch(str(tmp_path), 4 << 20)
    assert reap_orphaned_scratch(str(tmp_path)) == 1
    assert not os.path.exists(orphan) and os.path.isdir(mine)  # a living grader's stays
    from autograder.sandbox.scratch import remove_scratch

    remove_scratch(mine, capped)
    assert os.listdir(tmp_path) == []


def test_system_calls_a_notebook_never_needs_are_refused(start):
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("the seccomp filter is made for x86-64")
    km, kc = start()
    out = run(kc, "import ctypes, errno, os, subprocess, threading\n"
                  "libc = ctypes.CDLL(None, use_errno=True)\n"
                  "def tried(result):\n"
                  "    return errno.errorcode.get(ctypes.get_errno(), 'ok') if result == -1 else 'ok'\n"
                  "print('user namespace', tried(libc.unshare(0x10000000)))\n"
                  "print('mount namespace', tried(libc.unshare(0x00020000)))\n"
                  "print('mount', tried(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)))\n"
                  "print('ptrace', tried(libc.ptrace(16, 1, None, None)))\n"
                  "print('bpf', tried(libc.syscall(321, 0, None, 0)))\n"
                  "print('unshare command',\n"
                  "      subprocess.run(['unshare', '--user', 'true'], capture_output=True).returncode != 0)\n"
                  "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                  "print('fork', subprocess.run(['true']).returncode == 0)\n")
    assert out.splitlines() == ["user namespace EPERM", "mount namespace EPERM", "mount EPERM",
                                "ptrace EPERM", "bpf EPERM", "unshare command True", "fork True"]


def test_the_kernel_gets_its_share_of_cpu_time(start):
    km, kc = start(cpu_limit=0.5)
    out = run(kc, "import time\nstart, cpu = time.monotonic(), time.process_time()\n"
                  "while time.monotonic() - start < 3:\n    pass\n"
                  "print(round((time.process_time() - cpu) / (time.monotonic() - start), 2))")
    share = float(out)
    cgroup = Path("/sys/fs/cgroup/cpu")
    if not (Path("/sys/fs/cgroup/cgroup.controllers").exists() or cgroup.exists()):
        pytest.skip("no cpu cgroup controller here")
    assert share < 0.7, share  # a busy loop gets half a core, not a whole one


def test_the_sandbox_command_line_shows_no_course_folder(start, course):
    km, kc = start()
    out = run(kc, "print(open('/proc/1/cmdline', 'rb').read().replace(b'\\0', b' ').decode())")
    assert "bwrap --args" in out
    for hidden in (str(REPO), str(course), COURSE_LIB, "--ro-bind"):
        assert hidden not in out, (hidden, out)


def test_the_sandbox_mounts_show_no_course_package_path(start):
    """The course packages are copied into the scratch folder and bound from there: no mount
    inside names the folder they live in on the host (the course's own folder)."""
    import course_utils

    km, kc = start()
    out = run(kc, "print(open('/proc/self/mountinfo').read())\nimport course_utils\nprint(course_utils.__file__)")
    host = str(Path(course_utils.__file__).resolve().parent)
    assert f"{COURSE_LIB}/course_utils/__init__.py" in out
    assert host not in out, out
