"""Grading on Dask: a real multi-process cluster on loopback, a killed worker, a killed and
resumed ``autograde``, unchanged submissions kept, and the pieces behind them (the lesson's
gradebook template, GPU device files for the sandbox).

Every batch grades the same 12 submissions of the fixture lesson (tests/fixtures, no torch)
and must leave the gradebook exactly as grading them one by one in this process does.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fixture_course import new_fixture_course
from gradebook_snapshot import gradebook_snapshot as snapshot_of

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.grading.batch import autograde, grade_batch
from autograder.grading.ledger import Ledger
from autograder.instructor.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"
TIMEOUT = 20
BIN = Path(sys.executable).parent
DASK = shutil.which("dask", path=str(BIN)) or shutil.which("dask")


def _new_course(root, db_url=None):
    # a killed kernel comes from an answer cell: these test the layers beneath the answer rules
    return new_fixture_course(root, timeout=TIMEOUT, db_url=db_url, answer_rules=False)


def submit_twelve(course):
    """12 submissions: {student: expected score, or None when not graded}."""
    full = lambda: sim.fill_with_solution(sim.released(course, LESSON),
                                          sim.reference_answers(course, LESSON))
    expected = {}
    for number in range(1, 7):
        sim.submit(course, f"full-{number:02d}", LESSON, full())
        expected[f"full-{number:02d}"] = 6
    sim.submit(course, "blank", LESSON, sim.released(course, LESSON))
    expected["blank"] = 0
    sim.submit(course, "square-only", LESSON, sim.fill_with_solution(
        sim.released(course, LESSON), sim.reference_answers(course, LESSON), ["square-answer"]))
    expected["square-only"] = 1
    sim.submit(course, "mean-wrong", LESSON, sim.replace_source(
        full(), "mean-answer", "def mean(values):\n    return 2\n"))
    expected["mean-wrong"] = 4
    sim.submit(course, "kernel-killed", LESSON, sim.append_code(
        full(), "mean-answer", "import os\nos.kill(os.getpid(), 9)"))
    expected["kernel-killed"] = 1
    nb = full()
    nb.cells.insert(0, sim.nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    sim.submit(course, "exception-first-cell", LESSON, nb)
    expected["exception-first-cell"] = 6
    sim.submit_text(course, "not-json", LESSON, '{"cells": [')
    expected["not-json"] = None
    return expected


def gradebook_snapshot(course):
    return snapshot_of(course.db_url, submissions=True)


def ledger_snapshot(course):
    return {student: (entry["status"], entry["score"], entry["sha256"] is not None)
            for student, entry in Ledger(course.root).read().get(LESSON, {}).items()}


def run_cli(course, *args, extra_env=None, **popen):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course.root),
               "--source", str(FIXTURES), "--timeout", str(TIMEOUT), "autograde", LESSON, *args]
    env = dict(os.environ, COURSE_QUICK="1", COURSE_PROGRESS="0", **(extra_env or {}))
    if popen:
        return subprocess.Popen(command, env=env, text=True, **popen)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The 12 submissions graded one by one in this process: what every batch must give."""
    course = _new_course(tmp_path_factory.mktemp("sequential") / "course")
    expected = submit_twelve(course)
    outcomes, _ = autograde(course, LESSON, workers=1, say=lambda line: None)
    by_student = {o.student: o for o in outcomes}
    for student, score in expected.items():
        if score is None:
            assert by_student[student].problem, student
        else:
            assert by_student[student].problem is None and by_student[student].score == score, \
                by_student[student].line()
    return course, expected, gradebook_snapshot(course), ledger_snapshot(course)


def _twin(reference, root):
    course = _new_course(root)
    shutil.copytree(reference[0].root / "submitted", course.root / "submitted", dirs_exist_ok=True)
    return course


def _graded_in_ledger(course):
    try:
        return {s for s, e in Ledger(course.root).read().get(LESSON, {}).items()
                if e["status"] == "graded"}
    except ValueError:  # caught mid-write
        return set()


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _children(pid, name):
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            comm, _, rest = stat.partition(") ")
            if rest.split()[1] == str(pid) and comm.endswith(f"({name}"):
                found.append(int(proc.name))
    return found


def _stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _no_orphaned_kernels():
    """The kernel a killed worker was running outlives it; the next grading run (or this)
    kills it and removes its cgroup."""
    from autograder.sandbox.cgroups import reap_orphaned_sandboxes

    reap_orphaned_sandboxes()
    from autograder.sandbox.cgroups import cgroup_parents

    _, parents = cgroup_parents()
    for parent in parents:
        for folder in parent.glob("autograder-sandbox-*"):
            maker = folder.name.split("-")[2]
            assert Path(f"/proc/{maker}").exists(), f"orphaned sandbox {folder}"


def _one_line_each(stdout, students):
    for student in students:
        lines = [line for line in stdout.splitlines() if line.startswith(f"  {student} / {LESSON}: ")]
        assert len(lines) == 1, (student, lines)


@pytest.mark.skipif(DASK is None, reason="the dask command is not installed")
def test_loopback_cluster_with_a_killed_worker_equals_sequential_grading(reference, tmp_path):
    course = _twin(reference, tmp_path / "course")
    scratch = Path(tempfile.mkdtemp(prefix="dask-workers-"))
    scheduler_file = scratch / "scheduler.json"
    processes = []
    logs = []
    victim = None

    tls = _tls_files(scratch)  # the cluster speaks TLS only, as the README's set-up says

    def start(*args, name):
        log = open(scratch / f"{name}.log", "w")
        logs.append(log)
        env = dict(os.environ, TMPDIR=str(scratch), OMP_NUM_THREADS="1", COURSE_PROGRESS="0")
        process = subprocess.Popen([DASK, *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True, cwd=scratch)
        processes.append(process)
        return process

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--protocol", "tls", *tls["flags"], "--scheduler-file", str(scheduler_file),
              name="scheduler")
        _wait_for(scheduler_file.exists, 60, "the scheduler")
        workers = [start("worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                         "--nworkers", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                         *tls["flags"], "--name", f"worker-{n}",
                         "--local-directory", str(scratch / f"w{n}"), name=f"worker-{n}")
                   for n in (1, 2)]
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://"), address
        from distributed import Client

        assert not _connects(address, None), "the scheduler took a client without credentials"
        with Client(address, timeout=30, security=tls["security"]) as client:
            client.wait_for_workers(2, timeout=120)
        out = open(tmp_path / "autograde.out", "w+")
        grading = run_cli(course, "--scheduler", address, stdout=out, stderr=subprocess.STDOUT,
                          extra_env=tls["env"])
        processes.append(grading)
        victim = workers[0]
        # mid-batch: once two submissions are recorded and the victim is running a kernel
        _wait_for(lambda: len(_graded_in_ledger(course)) >= 2 or grading.poll() is not None,
                  240, "two graded submissions")
        _wait_for(lambda: _children(victim.pid, "bwrap") or grading.poll() is not None,
                  120, "a kernel on the victim worker")
        assert grading.poll() is None, "the batch ended before a worker could be killed"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        assert grading.wait(480) == 0
        out.seek(0)
        stdout = out.read()
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in logs:
            log.close()
        from autograder.sandbox.cgroups import reap_orphaned_sandboxes

        reap_orphaned_sandboxes()
        shutil.rmtree(scratch, ignore_errors=True)
    _no_orphaned_kernels()
    _, expected, snapshot, ledger = reference
    _one_line_each(stdout, expected)
    assert "graded 12 submission(s)" in stdout, stdout
    assert "11 graded, 1 not graded, 0 unchanged (kept)" in stdout, stdout
    retried = int(stdout.split(" retried")[0].rsplit(" ", 1)[-1])
    assert retried >= 1, stdout  # the submission the victim was grading ran again elsewhere
    assert gradebook_snapshot(course) == snapshot
    assert ledger_snapshot(course) == ledger


def _tls_files(folder):
    """One temporary CA-signed key pair for a cluster, as files (0600) and as the settings of
    the dask command line, of Dask's configuration (environment) and of a Security object."""
    from distributed.security import Security

    temporary = Security.temporary()
    key, cert = folder / "key.pem", folder / "cert.pem"
    for path, text in ((key, temporary.tls_scheduler_key), (cert, temporary.tls_scheduler_cert)):
        path.write_text(text)
        path.chmod(0o600)
    flags = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    env = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
           "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(cert),
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(cert),
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(key)}
    security = Security(tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key),
                        require_encryption=True)
    return {"flags": flags, "env": env, "security": security}


def _connects(address, security, timeout=5):
    """Whether a client with ``security`` (None: none) gets an answer from the scheduler."""
    from distributed import Client

    try:
        with Client(address, timeout=timeout, security=security):
            return True
    except Exception:  # noqa: BLE001 - refused in the handshake, reset, or timed out
        return False


ATTACKER = """
import sys
from distributed import Client
from distributed.security import Security
address = sys.argv[1]
tries = {"tls without credentials": (address, None),
         "tls with credentials of its own": (address, Security.temporary()),
         "plain tcp": (address.replace("tls://", "tcp://"), None)}
for name, (where, security) in tries.items():
    try:
        client = Client(where, timeout=5, security=security)
        print(name, "CONNECTED", client.run_on_scheduler(lambda: __import__("os").getuid()))
    except Exception as error:
        print(name, "refused:", type(error).__name__)
"""


def test_another_local_user_cannot_talk_to_the_embedded_cluster(tmp_path):
    from local_users import as_user

    from autograder.cluster.lifecycle import GradingCluster

    course = _new_course(tmp_path / "course")
    with GradingCluster(course, workers=1) as cluster:
        address = cluster.client.scheduler.address
        assert address.startswith("tls://127.0.0.1:"), address
        assert cluster.client.submit(os.getuid).result() == os.getuid()  # the grader's own client
        tried = as_user("nobody", Path("/tmp"), sys.executable, "-c", ATTACKER, address,
                        timeout=120)
    lines = tried.stdout.strip().splitlines()
    assert len(lines) == 3 and all("refused" in line and "CONNECTED" not in line for line in lines), \
        tried.stdout + tried.stderr


def test_killed_autograde_resumes_to_the_same_gradebook_and_keeps_unchanged_work(reference, tmp_path):
    course = _twin(reference, tmp_path / "course")
    _, expected, snapshot, ledger = reference
    out = open(tmp_path / "first.out", "w+")
    scratch = Path(tempfile.mkdtemp(prefix="killed-autograde-"))  # what its workers leave behind
    first = run_cli(course, "--workers", "2", stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, extra_env={"TMPDIR": str(scratch)})
    try:
        _wait_for(lambda: len(_graded_in_ledger(course)) >= 3 or first.poll() is not None,
                  300, "three graded submissions")
        assert first.poll() is None, "the batch ended before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)  # autograde, its cluster and their kernels
        first.wait(10)
    finally:
        _stop(first)
        out.close()
        shutil.rmtree(scratch, ignore_errors=True)
    _no_orphaned_kernels()
    graded_before = _graded_in_ledger(course)
    assert 3 <= len(graded_before) < len(expected)
    entries = Ledger(course.root).read()[LESSON]
    assert all(entries[s]["status"] == "not graded" for s in expected if s not in graded_before)

    second = run_cli(course, "--workers", "2")
    assert second.returncode == 0, second.stdout + second.stderr
    _one_line_each(second.stdout, expected)
    kept = len(graded_before)
    assert f"{kept} unchanged (kept), {len(expected) - kept} run(s), 0 retried" in second.stdout, \
        second.stdout
    assert gradebook_snapshot(course) == snapshot
    assert ledger_snapshot(course) == ledger

    # a third run executes nothing but the submission that cannot be graded
    logs = {s: (course.log_dir / f"autograde-{LESSON}-{s}.log").stat().st_mtime_ns for s in expected}
    notebooks = {s: course.autograded_notebook(s, LESSON).stat().st_mtime_ns
                 for s in expected if expected[s] is not None}
    report = grade_batch(course, [(LESSON, None)], workers=2, say=lambda line: None)
    assert (report.kept, report.executed, report.graded) == (11, 1, 1)
    assert [o.student for o in report.outcomes if not o.kept] == ["not-json"]
    assert {s: t for s, t in logs.items() if s != "not-json"} == {
        s: (course.log_dir / f"autograde-{LESSON}-{s}.log").stat().st_mtime_ns
        for s in expected if s != "not-json"}
    assert notebooks == {s: course.autograded_notebook(s, LESSON).stat().st_mtime_ns for s in notebooks}
    assert gradebook_snapshot(course) == snapshot


def test_a_changed_submission_is_graded_again(reference, tmp_path):
    course = _new_course(tmp_path / "course")
    full = sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))
    sim.submit(course, "ann", LESSON, sim.released(course, LESSON))
    first, _ = autograde(course, LESSON, say=lambda line: None)
    assert first[0].score == 0 and not first[0].kept
    again, _ = autograde(course, LESSON, say=lambda line: None)
    assert again[0].kept and again[0].score == 0 and "(unchanged: kept)" in again[0].line()
    forced = grade_batch(course, [(LESSON, None)], say=lambda line: None, force=True)
    assert (forced.kept, forced.executed) == (0, 1) and forced.outcomes[0].score == 0
    sim.submit(course, "ann", LESSON, full)
    changed, _ = autograde(course, LESSON, say=lambda line: None)
    assert not changed[0].kept and changed[0].score == 6


def test_a_batch_of_two_lessons_on_the_embedded_cluster(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    lessons = ("00-fixture", "00-again")  # the fixture twice, as two lessons
    for lesson in lessons:
        (root / "notebooks" / lesson).symlink_to(FIXTURES / LESSON, target_is_directory=True)
    course = Course.at(root, timeout=TIMEOUT)
    assert release(course, list(lessons), check=False, say=lambda line: None) == []
    for lesson in lessons:
        sim.submit(course, "full", lesson, sim.fill_with_solution(
            sim.released(course, lesson), sim.reference_answers(course, lesson)))
        sim.submit(course, "blank", lesson, sim.released(course, lesson))
    report = grade_batch(course, [(lesson, None) for lesson in lessons], workers=2,
                         say=lambda line: None)
    assert report.where == "embedded Dask cluster" and report.workers == 2
    assert sorted((o.lesson, o.student, o.score, o.problem) for o in report.outcomes) == sorted(
        (lesson, student, score, None) for lesson in lessons
        for student, score in (("full", 6), ("blank", 0)))


# ---- the pieces ----------------------------------------------------------------------------------

def test_gradebook_template_holds_the_lesson_and_no_student(reference, tmp_path):
    from nbgrader.api import Gradebook

    from autograder.cluster.shipping import gradebook_template

    course = reference[0]
    path = gradebook_template(course, LESSON, tmp_path / "template.db")
    with Gradebook(course.db_url) as real, Gradebook(f"sqlite:///{path}") as copy:
        assert copy.students == []
        original, copied = real.find_assignment(LESSON), copy.find_assignment(LESSON)
        assert copied.max_score == original.max_score == 8
        for nb_real, nb_copy in zip(original.notebooks, copied.notebooks):
            assert nb_copy.kernelspec == nb_real.kernelspec
            assert sorted((c.name, c.source, c.checksum, c.locked) for c in nb_copy.source_cells) == \
                sorted((c.name, c.source, c.checksum, c.locked) for c in nb_real.source_cells)
            assert sorted((c.name, c.max_score) for c in nb_copy.grade_cells) == \
                sorted((c.name, c.max_score) for c in nb_real.grade_cells)
    from autograder.course import InstructorError

    with pytest.raises(InstructorError, match="run release"):
        gradebook_template(course, "99-unknown", tmp_path / "none.db")


def testwrite_tree_refuses_paths_outside_its_folder(tmp_path):
    from autograder.cluster.shipping import read_tree, write_tree

    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "a" / "sub" / "x.txt").write_text("x")
    (tmp_path / "a" / "link").symlink_to("/etc/passwd")
    files = read_tree(tmp_path / "a")
    assert set(files) == {"sub/x.txt"}  # links never travel
    write_tree(tmp_path / "b", files)
    assert (tmp_path / "b" / "sub" / "x.txt").read_text() == "x"
    for bad in ("../escape.txt", "/etc/evil", "sub/../../escape"):
        with pytest.raises(ValueError, match="unsafe path"):
            write_tree(tmp_path / "c", {bad: (0o644, b"x")})
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(ValueError, match="MiB"):
        read_tree(tmp_path / "a", limit=0)


def _fake_driver(tmp_path, minors):
    proc = tmp_path / "gpus"
    dev = tmp_path / "dev"
    dev.mkdir()
    for index, minor in enumerate(minors):
        folder = proc / f"0000:{index + 0x10:02x}:00.0"
        folder.mkdir(parents=True)
        (folder / "information").write_text(f"Model: Fake GPU\nDevice Minor: {minor}\n")
        (dev / f"nvidia{minor}").write_text("")
    for name in ("nvidiactl", "nvidia-uvm"):
        (dev / name).write_text("")
    return proc, dev


def test_gpu_workers_and_device_files(tmp_path):
    from autograder.gpus import device_nodes, visible_gpus, worker_gpu_environment

    proc, dev = _fake_driver(tmp_path, [0, 3])
    assert visible_gpus({}, root=proc) == ["0", "1"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "1"}, root=proc) == ["1"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,-1,1"}, root=proc) == ["0"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, root=proc) == []
    assert visible_gpus({"COURSE_DEVICE": "cpu"}, root=proc) == []
    assert visible_gpus({}, root=tmp_path / "no-driver") == []
    # GPU 1 in PCI order is the driver's minor 3: its file and the control files, nothing else
    assert device_nodes("1", root=proc, dev=str(dev)) == [
        f"{dev}/nvidiactl", f"{dev}/nvidia-uvm", f"{dev}/nvidia3"]
    assert device_nodes("GPU-1234-abcd", root=proc, dev=str(dev))[-2:] == [
        f"{dev}/nvidia0", f"{dev}/nvidia3"]
    assert device_nodes("", root=proc, dev=str(dev)) == []
    assert worker_gpu_environment("1") == {
        "CUDA_VISIBLE_DEVICES": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID", "COURSE_DEVICE": "cuda"}


def test_tuned_config_binds_gpus_only_when_cuda_visible_devices_is_set(monkeypatch):
    from autograder.course import REPO_ROOT
    from autograder.grading.one_submission import TimedExecuteAndJudge, tune_config

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    config = tune_config(Course.at(REPO_ROOT).config())
    assert config.Execute.shutdown_kernel == "immediate"
    assert "--HistoryManager.hist_file=:memory:" in config.Execute.extra_arguments
    assert config.Autograde.autograde_preprocessors[0] is TimedExecuteAndJudge
    assert "device_nodes" not in config.SandboxedKernelManager
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    config = tune_config(Course.at(REPO_ROOT).config())
    assert config.SandboxedKernelManager.device_nodes == __import__("autograder.gpus").gpus.device_nodes("0")


def test_sandbox_binds_device_files_and_passes_gpu_variables():
    from autograder.sandbox.bubblewrap import Sandbox, sandbox_unavailable
    from autograder.sandbox.limits import SandboxLimits

    if sandbox_unavailable():
        pytest.skip(f"no sandbox here: {sandbox_unavailable()}")
    env = {"CUDA_VISIBLE_DEVICES": "0", "COURSE_QUICK": "1", "SECRET": "x"}
    box = Sandbox(SandboxLimits(), device_nodes=["/dev/null", "/etc/passwd", "/dev/missing"])
    plain = Sandbox(SandboxLimits())
    try:
        command = box.command(["true"], env)
        assert ["--dev-bind", "/dev/null", "/dev/null"] == command[command.index("--dev-bind"):][:3]
        assert command.count("--dev-bind") == 1  # only existing files below /dev
        assert box.environment(env)["CUDA_VISIBLE_DEVICES"] == "0"
        assert "SECRET" not in box.environment(env)
        assert "--dev-bind" not in plain.command(["true"], env)
        assert "CUDA_VISIBLE_DEVICES" not in plain.environment(env)
    finally:
        box.cleanup()
        plain.cleanup()


def test_gpu_check_fails_clearly_without_a_gpu():
    if Path("/proc/driver/nvidia/gpus").is_dir() and any(Path("/proc/driver/nvidia/gpus").iterdir()):
        pytest.skip("this machine has an NVIDIA GPU")
    done = subprocess.run([sys.executable, "-m", "autograder.gpus"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "no NVIDIA GPU" in done.stdout and "make test-gpu needs" in done.stdout


def test_cli_rejects_an_unreachable_scheduler_before_touching_the_ledger(reference, tmp_path, capsys):
    import dask
    import distributed  # noqa: F401 - its defaults must be loaded before the set() below: leaving

    # the block would otherwise remove the whole "distributed" section the import added inside it
    from autograder.cli import main

    course = reference[0]
    before = Ledger(course.root).read()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        status = main(["--course-dir", str(course.root), "--source", str(FIXTURES), "autograde",
                       LESSON, "--scheduler", f"tcp://127.0.0.1:{port}", "--force"])
    assert status == 1
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert Ledger(course.root).read() == before
