"""A submission that floods its output is stopped while it prints, and the grader's memory
stays what it is for a plain submission.

``autograde`` runs as its own process here, so that its peak resident memory (VmHWM) is its
own: once for a plain correct submission, then for ones that print 1 GiB in 1 MiB lines (sent as
ipykernel batches them, and flushed line by line) and one that sends a single 256 MiB output.
"""
import subprocess
import sys
import time

import pytest
from fixture_course import FIXTURES, LESSON, full_solution, new_fixture_course

from autograder.authoring import simulate as sim

pytestmark = pytest.mark.slow

FLOODS = {
    "plain": "",
    # ipykernel sends what accumulates between flushes as one message: hundreds of MiB
    "floods-1-gib": "for _ in range(1024):\n    print('x' * (1 << 20))\n",
    # the same 1 GiB, one message per MiB
    "floods-1-gib-flushed": "for _ in range(1024):\n    print('z' * (1 << 20), flush=True)\n",
    "one-huge-output": "import sys\nsys.stdout.write('y' * (256 << 20))\nsys.stdout.flush()\n",
}
FLOODED = [name for name in FLOODS if name != "plain"]


def _graded_with_peak(course, student):
    """Run ``autograde`` for ``student`` in a process of its own; (stdout, peak RSS in MiB)."""
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course.root), "--source",
               str(FIXTURES), "--timeout", "60", "autograde", LESSON, "--student", student,
               "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) // 1024)
        except OSError:
            pass
        time.sleep(0.1)
    out = process.stdout.read()
    assert process.returncode == 0, out
    return out, peak


@pytest.fixture(scope="module")
def floods(tmp_path_factory):
    course = new_fixture_course(tmp_path_factory.mktemp("floods") / "course", timeout=60)
    results = {}
    for student, code in FLOODS.items():
        nb = full_solution(course)
        if code:  # in the last answer cell: cells a student adds do not run when grading
            sim.append_code(nb, "softmax-answer", code)
        sim.submit(course, student, LESSON, nb)
        results[student] = _graded_with_peak(course, student)
    return course, results


def test_a_flood_is_stopped_while_it_prints(floods):
    course, results = floods
    reasons = {}
    for student in FLOODED:
        out, _ = results[student]
        line = next(line for line in out.splitlines() if f"{student} / 00-fixture" in line)
        assert f"{student} / 00-fixture: 3/6" in line, out  # stopped in softmax's answer: its test never ran
        assert "output limit reached in cell" in line and "(kernel stopped)" in line, line
        reasons[student] = line
        assert course.autograded_notebook(student, LESSON).stat().st_size < 8 << 20
    assert "over 32 MiB printed while it ran" in reasons["floods-1-gib-flushed"]
    assert "dropped unread" in reasons["one-huge-output"]


def test_the_graders_memory_does_not_grow_with_the_flood(floods):
    _, results = floods
    plain = results["plain"][1]
    print("autograde's peak resident memory (MiB):", {s: peak for s, (_, peak) in results.items()})
    for student in FLOODED:
        peak = results[student][1]
        assert peak < plain + 150, (student, peak, plain)
