"""Hostile and broken submissions on the fixture lesson: each gets the expected grade and
the batch always finishes. Also: parallel grading equals sequential grading, re-grading is
idempotent, feedback shows hints but never hidden tests.

The fixture (tests/fixtures/notebooks/00-fixture) needs no torch. Autograded points:
square-tests 1, mean-tests 2, softmax-tests 3; a solution everywhere scores 6.
"""
import html
import re
import shutil
from pathlib import Path

import pytest
from fixture_course import new_fixture_course
from gradebook_snapshot import gradebook_snapshot as snapshot_of

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.grading.batch import autograde
from autograder.instructor.feedback import feedback, generate_feedback
from autograder.instructor.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"
HIDDEN_MARKER = "HIDDEN-FIXTURE-MARKER"
TIMEOUT = 8  # seconds per cell; the fixture's cells take milliseconds

CHEAT = ("import IPython.core.interactiveshell\n"
         "IPython.core.interactiveshell.InteractiveShell.showtraceback = lambda *a, **k: None\n")


def _full(course):
    return sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))


def _with_answer(course, cell_id, source):
    return sim.replace_source(_full(course), cell_id, source)


def _hostile_submissions(course):
    """{student: (expected score or None when not graded, expected problem substring)}."""
    full = lambda: _full(course)
    cases = {}

    def add(student, nb, score, problem=None):
        sim.submit(course, student, LESSON, nb)
        cases[student] = (score, problem)

    add("edited-test-cell", sim.replace_source(full(), "square-tests", "pass"), 6)
    add("deleted-test-cell", sim.delete_cell(full(), "mean-tests"), 6)
    add("edited-read-only-cell", sim.replace_source(full(), "setup", "pass"), 6)
    nb = full()
    for cell in nb.cells:
        cell.id = "same-id"
    add("duplicate-cell-ids", nb, 6)
    nb = sim.duplicate_cell(full(), "softmax-tests")
    nb.cells[[sim.grade_id(c) for c in nb.cells].index("softmax-tests")].source = "pass"
    add("duplicate-grade-ids", nb, 6)
    add("infinite-loop", _with_answer(course, "mean-answer",
                                      "def mean(values):\n    while True:\n        pass\n"), 4)
    add("infinite-recursion", _with_answer(course, "square-answer",
                                           "def square(x):\n    return square(x)\n"), 5)
    nb = full()
    nb.cells.insert(0, sim.nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    add("exception-first-cell", nb, 6)
    add("stderr-in-test-cells", sim.replace_source(
        _with_answer(course, "square-answer",
                     "def square(x):\n    warnings.warn('square is slow', UserWarning)\n"
                     "    return x * x\n"),
        "mean-answer",
        "import logging, sys\n"
        "def mean(values):\n"
        "    print(' 50%|#####     | 1/2 [00:01<00:01, 1.00it/s]', file=sys.stderr)\n"
        "    logging.warning('averaging %d values', len(values))\n"
        "    if not values:\n        raise ValueError('empty')\n"
        "    return sum(values) / len(values)\n"), 6)
    add("huge-output", sim.append_code(full(), "square-answer",
                                       "for i in range(200_000):\n    print(i)\nprint('x' * 5_000_000)"), 6)
    add("sys-exit", sim.append_code(full(), "mean-answer", "import sys\nsys.exit()"), 6)
    # the kernel dies in mean-answer: square-tests (before it) keeps its point
    add("kernel-killed", sim.append_code(full(), "mean-answer",
                                         "import os\nos.kill(os.getpid(), 9)"), 1)
    add("showtraceback-cheat", sim.replace_source(sim.released(course, LESSON),
                                                  "square-answer", CHEAT + "def square(x):\n    return 0\n"), 0)
    add("showtraceback-none-cheat", sim.replace_source(
        sim.released(course, LESSON), "square-answer",
        "import IPython.core.interactiveshell\n"
        "IPython.core.interactiveshell.InteractiveShell.showtraceback = None\n"), 0)
    add("custom-exception-cheat", sim.replace_source(
        sim.released(course, LESSON), "square-answer",
        "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"), 0)
    add("writes-files", sim.append_code(
        full(), "square-answer",
        "open('written_by_student.txt', 'w').write('hello')\n"
        "open('fixture.ipynb', 'a').write('garbage')\n"), 6)
    add("hidden-test-echo", sim.insert_code_cell(full(), "softmax-tests", "print(In)"), 6)
    sim.submit_text(course, "not-json", LESSON, '{"cells": [')
    cases["not-json"] = (0, "not valid JSON")
    wrong_name = course.submitted_dir("missing-notebook", LESSON)
    wrong_name.mkdir(parents=True)
    (wrong_name / "my-homework.ipynb").write_text("{}")
    cases["missing-notebook"] = (None, "missing notebook")
    return cases


def _new_course(root):
    """A fixture course graded without the answer rules: these cases test the layers beneath
    them (the probe, repairs, the sandbox), so their code must run. The rules themselves:
    tests/test_answer_alone.py."""
    return new_fixture_course(root, timeout=TIMEOUT, answer_rules=False)


def gradebook_snapshot(course):
    return snapshot_of(course.db_url)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = _new_course(tmp_path_factory.mktemp("hostile") / "course")
    cases = _hostile_submissions(course)
    lines = []
    outcomes, seconds = autograde(course, LESSON, workers=1, say=lines.append)
    feedback(course, [LESSON], say=lambda line: None)
    return course, cases, {o.student: o for o in outcomes}, lines, seconds


def test_every_hostile_submission_is_graded_as_expected(graded):
    course, cases, outcomes, lines, _ = graded
    assert set(outcomes) == set(cases)
    for student, (score, problem) in cases.items():
        outcome = outcomes[student]
        if problem:
            assert problem in (outcome.problem or ""), (student, outcome)
        else:
            assert outcome.problem is None, (student, outcome)
        if score is not None:
            assert outcome.score == score, (student, outcome)
        assert outcome.auto_max == (6 if score is not None else 0)
    # one line per submission, naming student and lesson
    for student in cases:
        assert sum(line.startswith(f"  {student} / {LESSON}: ") for line in lines) == 1


def test_crashes_and_timeouts_are_explained(graded):
    _, _, outcomes, _, _ = graded
    assert any("timed out" in note for note in outcomes["infinite-loop"].notes)
    assert any("kernel died" in note for note in outcomes["kernel-killed"].notes)


def test_missing_notebook_is_missing_in_the_gradebook_and_invalid_json_scores_zero(graded):
    from nbgrader.api import Gradebook, MissingEntry

    course = graded[0]
    with Gradebook(course.db_url) as gb:
        with pytest.raises(MissingEntry):
            gb.find_submission(LESSON, "missing-notebook")
        assert gb.find_submission(LESSON, "not-json").score == 0


def test_huge_output_is_truncated(graded):
    course = graded[0]
    autograded = course.autograded_notebook("huge-output", LESSON)
    assert autograded.stat().st_size < 1_000_000
    assert course.feedback_html("huge-output", LESSON).stat().st_size < 2_000_000


def test_files_written_by_a_submission_stay_in_its_sandbox(graded):
    course = graded[0]
    own = course.autograded_notebook("writes-files", LESSON).parent
    # the kernel wrote into a scratch copy of its folder, thrown away after grading
    assert list(course.root.rglob("written_by_student.txt")) == []
    # the garbage appended to the running notebook was overwritten by the graded result
    assert sim.nbformat.read(str(own / "fixture.ipynb"), as_version=4).cells


def _visible_text(path):
    text = re.sub(r"<[^>]+>", "", path.read_text())
    return html.unescape(text)


def test_feedback_shows_points_and_hints_but_never_hidden_tests(graded):
    course, cases, _, _, _ = graded
    reports = sorted((course.root / "feedback").rglob("*.html"))
    assert len(reports) == sum(problem is None for _, problem in cases.values())
    hidden_lines = [
        'expect(student.square(x) == x * x, "square must also work for negative numbers")',
        "probabilities = student.softmax(scores)",
    ]
    for report in reports:
        text = _visible_text(report)
        assert HIDDEN_MARKER not in text, report
        for line in hidden_lines:
            assert line not in text, (report, line)
    looped = _visible_text(course.feedback_html("infinite-recursion", LESSON))
    assert "Score: 5.0 / 8.0" in looped or "Score: 5 / 8" in looped
    assert "Test cell" in looped and "(Score: 0.0 / 1.0)" in looped
    # hidden tests run in the grader: the kernel's input history holds none of them
    echo = _visible_text(course.feedback_html("hidden-test-echo", LESSON))
    assert "print(In)" in echo and "student.softmax" not in echo


def test_release_never_contains_hidden_tests(graded):
    course = graded[0]
    assert HIDDEN_MARKER not in course.release_notebook(LESSON).read_text()


def test_regrading_is_idempotent(graded):
    course = graded[0]
    before = gradebook_snapshot(course)
    students = ["edited-test-cell", "kernel-killed", "not-json", "stderr-in-test-cells"]
    autograde(course, LESSON, students, workers=1, force=True, say=lambda line: None)
    assert gradebook_snapshot(course) == before


PARALLEL_SAMPLE = ["edited-test-cell", "deleted-test-cell", "duplicate-grade-ids", "kernel-killed",
                   "infinite-recursion", "stderr-in-test-cells", "not-json", "missing-notebook"]


def test_parallel_grading_equals_sequential(graded, tmp_path):
    course, cases, _, _, sequential_seconds = graded
    twin = _new_course(tmp_path / "twin")
    for student in PARALLEL_SAMPLE:
        shutil.copytree(course.root / "submitted" / student, twin.root / "submitted" / student)
    outcomes, parallel_seconds = autograde(twin, LESSON, workers=2, say=lambda line: None)
    assert len(outcomes) == len(PARALLEL_SAMPLE)
    sequential = {key: value for key, value in gradebook_snapshot(course).items()
                  if key[0] in PARALLEL_SAMPLE}
    assert gradebook_snapshot(twin) == sequential
    print(f"\nthroughput: 1 worker {60 * len(cases) / sequential_seconds:.1f} submissions/min "
          f"({len(cases)} submissions), 2 workers {60 * len(outcomes) / parallel_seconds:.1f}/min "
          f"({len(outcomes)} submissions)")


# ---- Attacks: each submission graded alone, with everything outside its sandbox checked ----
#
# A blank or wrong notebook must not gain points by changing what the tests use; careless but
# correct work keeps its points; nothing the submission does reaches the course folder, other
# students, the network, or outlives its grading.

ATTACK_LIMITS = dict(memory_bytes=1 << 30, max_processes=64, submission_seconds=25,
                     disk_bytes=64 << 20)
WRONG = {"square-answer": "def square(x):\n    return 0\n",
         "mean-answer": "def mean(values):\n    return 2\n",
         "softmax-answer": "def softmax(scores):\n    return [0.5, 0.5]\n"}


def _wrong(course, extra=""):
    """Every answer wrong (each passes the visible check), plus ``extra`` code first."""
    nb = sim.released(course, LESSON)
    for cell_id, source in WRONG.items():
        sim.replace_source(nb, cell_id, source)
    return sim.replace_source(nb, "square-answer", extra + WRONG["square-answer"]) if extra else nb


def _blank_with(course, code):
    """The release untouched, plus ``code`` in a new first cell."""
    nb = sim.released(course, LESSON)
    nb.cells.insert(0, sim.nbformat.v4.new_code_cell(code))
    return nb


def _set_meta(nb, cell_id, **changes):
    sim.find_cell(nb, cell_id).metadata.nbgrader.update(changes)
    return nb


def _attacks(course, probe_port, paths):
    """{student: (notebook, expected score, expected note substring or None)}."""
    full = lambda: _full(course)
    gradebook, notebooks, lib, victim = paths
    steal = (f"import shutil, os, sqlite3\n"
             f"for target in ({str(gradebook)!r}, {str(notebooks)!r}, {str(lib)!r}, {str(victim)!r}):\n"
             f"    try:\n        print(target, os.path.exists(target), os.listdir(os.path.dirname(target)))\n"
             f"    except Exception as error:\n        print(target, type(error).__name__)\n")
    attacks = {
        # monkeypatching what tests use
        "patch-expect": (_wrong(course, "expect = lambda *a, **k: None\n"), 0, None),
        "patch-math-isclose": (_wrong(course, "import math\nmath.isclose = lambda *a, **k: True\n"), 0, None),
        "patch-builtins": (_wrong(course, "import builtins\nbuiltins.isinstance = lambda *a: True\n"
                                          "builtins.AssertionError = type('Fine', (Exception,), {})\n"), 0, None),
        "patch-numpy-torch": (_blank_with(course, "import numpy, math\nnumpy.isclose = lambda *a, **k: True\n"
                                                  "numpy.allclose = lambda *a, **k: True\n"), 0, None),
        "patch-json": (_blank_with(course, "import json\njson.loads = lambda *a, **k: {'value': 16}\n"), 0, None),
        "patch-display": (_blank_with(course, "import IPython.display as d\n"
                                              "d.publish_display_data = lambda data, *a, **k: None\n"), 0, None),
        "forge-probe": (_blank_with(course, "import builtins, sys\n_exec = builtins.exec\n"
                                            "def exec(code, *a, **k):\n    _exec(code, *a, **k)\n"
                                            "    m = sys.modules.get('_course_probe')\n"
                                            "    if m: m._answer = lambda request: {'value': 16}\n"
                                            "builtins.exec = exec\n"), 0, None),
        "showtraceback-blank": (_blank_with(course, CHEAT), 0, None),
        # code that changes how later cells run
        "input-transformer": (_blank_with(course, "get_ipython().input_transformers_cleanup.append("
                                                  "lambda lines: ['pass\\n'])\n"), 0, None),
        "ast-transformer": (_blank_with(course, "import ast\nclass Gut(ast.NodeTransformer):\n"
                                                "    def visit_Module(self, node):\n"
                                                "        return ast.Module(body=[ast.Pass()], type_ignores=[])\n"
                                                "get_ipython().ast_transformers.append(Gut())\n"), 0, None),
        "pre-run-hook": (_blank_with(course, "def fake(*a):\n    globals().update(square=lambda x: 16, "
                                             "mean=lambda v: 2, softmax=lambda s: [0.5, 0.5])\n"
                                             "get_ipython().events.register('pre_run_cell', fake)\n"), 0, None),
        "custom-exc-blank": (_blank_with(course, "get_ipython().set_custom_exc((BaseException,), "
                                                 "lambda *a, **k: None)\n"), 0, None),
        # the course folder, other students, the network
        "reads-course-folder": (sim.append_code(full(), "square-answer", steal), 6, None),
        "writes-course-folder": (sim.append_code(full(), "square-answer", (
            f"import sqlite3, shutil\n"
            f"for action in (lambda: sqlite3.connect({str(gradebook)!r}).execute('delete from grade'),\n"
            f"               lambda: open({str(notebooks / LESSON / 'planted.txt')!r}, 'w').write('x'),\n"
            f"               lambda: open({str(lib / 'planted.py')!r}, 'w').write('x = 1'),\n"
            f"               lambda: open({str(victim)!r}, 'w').write('{{}}'),\n"
            f"               lambda: shutil.copytree({str(notebooks)!r}, 'stolen')):\n"
            f"    try:\n        action()\n    except Exception as error:\n        print(type(error).__name__)\n"
            "import course_utils, os\n"
            "try:\n    open(os.path.join(os.path.dirname(course_utils.__file__), 'planted.py'), 'w')\n"
            "except OSError as error:\n    print('course_utils is read-only:', type(error).__name__)\n")), 6, None),
        "network-loopback": (sim.append_code(full(), "square-answer", (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {probe_port}), timeout=2).sendall(b'leak')\n"
            "except OSError as error:\n    print('no network:', type(error).__name__)\n")), 6, None),
        "shadow-course-utils": (sim.append_code(full(), "square-answer", (
            "import os\nos.makedirs('course_utils', exist_ok=True)\n"
            "open('course_utils/__init__.py', 'w').write('raise SystemExit')\n")), 6, None),
        # resources
        "memory-hog": (sim.append_code(full(), "mean-answer",
                                       "hog = [bytearray(64 << 20) for _ in range(64)]\n"), 1, "memory limit"),
        "process-flood": (sim.append_code(full(), "square-answer", (
            "import subprocess\nflood = []\ntry:\n    for _ in range(200):\n"
            "        flood.append(subprocess.Popen(['sleep', '987651']))\n"
            "except OSError as error:\n"
            "    print('stopped at', len(flood), type(error).__name__)\n")), 6, "process limit"),
        "forked-daemon": (sim.append_code(full(), "square-answer", (
            "import os, subprocess\nif os.fork() == 0:\n    os.setsid()\n"
            "    subprocess.Popen(['sleep', '987652'], start_new_session=True)\n    os._exit(0)\n")), 6, None),
        "ignores-interrupt": (sim.replace_source(full(), "mean-answer", (
            "import signal\ndef mean(values):\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "    while True:\n        pass\n")), 1, "timed out"),
        "outlives-submission-time": (_slow_answers(course), 3, "submission time limit"),
        "fills-its-folder": (sim.append_code(full(), "square-answer", (
            "import os\nfor where in ('fill.bin', '/tmp/fill.bin', '/dev/shm/fill.bin'):\n"
            "    try:\n        with open(where, 'wb') as f:\n"
            "            for _ in range(256):\n                f.write(b'x' * (1 << 20)); f.flush()\n"
            "    except OSError as error:\n        print(where, 'full:', error.errno)\n")), 6,
            "disk limit 64 MiB reached"),
        "huge-image": (sim.append_code(full(), "square-answer", (
            "import base64, os\nfrom IPython.display import display\n"
            "display({'image/png': base64.b64encode(os.urandom(12 << 20)).decode()}, raw=True)\n")), 6,
            "over the size limit"),
        # careless but correct
        "renamed-answer-id": (_set_meta(full(), "square-answer", grade_id="my-square"), 6,
                              "matched to 'square-answer'"),
        "renamed-test-id": (_set_meta(full(), "mean-tests", grade_id="my-mean-tests"), 6, "matched to 'mean-tests'"),
        "pasted-from-other-lesson": (_set_meta(full(), "softmax-answer", grade_id="ex3-relu-mlp"), 6,
                                     "matched to 'softmax-answer'"),
        "added-metadata-entry": (_set_meta(full(), "square-answer", favourite=True), 6, "restored"),
        "answer-flagged-graded": (_set_meta(full(), "square-answer", grade=True, points=9), 6, "restored"),
        "stripped-answer-metadata": (_strip(full(), "mean-answer"), 6, "matched to 'mean-answer'"),
        "stripped-test-metadata": (_strip(full(), "mean-tests"), 6, "matched to 'mean-tests'"),
        "all-metadata-stripped": (_strip(full(), *[sim.grade_id(c) for c in full().cells]), 6, "matched"),
        "extra-graded-cell": (_extra_graded(full()), 6, "not a cell of this lesson"),
        "deleted-written-answer": (sim.delete_cell(full(), "explain-answer"), 6, "put back"),
        "stderr-print": (sim.replace_source(full(), "square-answer", (
            "import sys\ndef square(x):\n    print('computing', x, file=sys.stderr)\n    return x * x\n")), 6, None),
        "own-expect-helper": (sim.append_code(full(), "setup", "def expect(value):\n    return value\n"), 6, None),
        "shadowed-names": (sim.append_code(full(), "setup", "math = np = torch = student = rng = None\n"
                                                            "TestFailed = StudentError = None\n"), 6, None),
    }
    return attacks


def _slow_answers(course):
    """Right answers, each cell under the cell timeout, together over the submission's time
    limit (25 s): the limit stops the kernel in softmax's answer or its test (square and mean
    keep their 3 points)."""
    nb = _full(course)
    for cell_id in ("square-answer", "mean-answer"):
        sim.append_code(nb, cell_id, "import time\ntime.sleep(6)\n")
    return sim.replace_source(nb, "softmax-answer", (
        "import time\ntime.sleep(7.5)\ndef softmax(scores):\n    time.sleep(7.5)\n"
        "    top = max(scores)\n    exps = [math.exp(s - top) for s in scores]\n"
        "    return [e / sum(exps) for e in exps]\n"))


def _strip(nb, *cell_ids):
    for cell_id in cell_ids:
        sim.find_cell(nb, cell_id).metadata.pop("nbgrader", None)
    return nb


def _extra_graded(nb):
    nb = sim.insert_code_cell(nb, "square-tests", "print('my own check')")
    extra = nb.cells[[sim.grade_id(c) for c in nb.cells].index("square-tests") + 1]
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "my-check", "locked": False, "points": 3,
                                  "schema_version": 3, "solution": False, "task": False}
    return nb


def _tree_digest(path):
    """sha256 of every file below ``path`` (names and contents)."""
    import hashlib

    digest = hashlib.sha256()
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def _outside_state(course, student, lib):
    """Everything a submission must not change: the release and sources, the course package,
    and every other student's folders and gradebook rows."""
    others = {key: value for key, value in gradebook_snapshot(course).items() if key[0] != student}
    folders = {name: _tree_digest(course.root / name / other)
               for name in ("submitted", "autograded", "feedback")
               for other in (p.name for p in (course.root / "submitted").iterdir()) if other != student
               if (course.root / name / other).exists()}
    return others, folders, _tree_digest(course.root / "notebooks" / LESSON), \
        _tree_digest(course.root / "release"), _tree_digest(lib)


def _processes_with(marker):
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    import socket
    import threading

    import course_utils
    from autograder.sandbox.limits import SandboxLimits

    root = tmp_path_factory.mktemp("attacks") / "course"
    course = _new_course(root)
    course.limits = SandboxLimits(**ATTACK_LIMITS)
    lib = Path(course_utils.__file__).parent
    sim.submit(course, "victim", LESSON, _full(course))
    autograde(course, LESSON, ["victim"], say=lambda line: None)
    received = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)

    def listen():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                received.append(connection.recv(100))
            except OSError:
                pass

    stop = threading.Event()
    threading.Thread(target=listen, daemon=True).start()
    paths = (course.db_path, course.root / "notebooks", lib, course.submitted_notebook("victim", LESSON))
    results = {}
    try:
        for student, (nb, score, note) in _attacks(course, server.getsockname()[1], paths).items():
            before = _outside_state(course, student, lib)
            sim.submit(course, student, LESSON, nb)
            outcome = autograde(course, LESSON, [student], say=lambda line: None)[0][0]
            generate_feedback(course, LESSON, student)
            results[student] = (outcome, score, note, before, _outside_state(course, student, lib))
    finally:
        stop.set()
        server.close()
    return course, results, received


def test_at_least_forty_kinds_of_submission_are_tried(graded, attacked):
    assert len(graded[1]) + len(attacked[1]) >= 40


ATTACK_NAMES = [
    "patch-expect", "patch-math-isclose", "patch-builtins", "patch-numpy-torch", "patch-json",
    "patch-display", "forge-probe", "showtraceback-blank", "input-transformer", "ast-transformer",
    "pre-run-hook", "custom-exc-blank", "reads-course-folder", "writes-course-folder",
    "network-loopback", "shadow-course-utils", "memory-hog", "process-flood", "forked-daemon",
    "ignores-interrupt", "outlives-submission-time", "fills-its-folder", "huge-image", "renamed-answer-id",
    "renamed-test-id", "pasted-from-other-lesson", "added-metadata-entry", "answer-flagged-graded",
    "stripped-answer-metadata", "stripped-test-metadata", "all-metadata-stripped",
    "extra-graded-cell", "deleted-written-answer", "stderr-print", "own-expect-helper",
    "shadowed-names"]


def test_every_attack_gets_its_exact_score_and_note(attacked):
    _, results, _ = attacked
    assert sorted(results) == sorted(ATTACK_NAMES)
    for student, (outcome, score, note, _, _) in results.items():
        assert outcome.problem is None, (student, outcome.line())
        assert outcome.score == score, (student, outcome.line())
        if note:
            assert any(note in n for n in outcome.notes), (student, outcome.line())


def test_no_attack_changes_anything_outside_its_sandbox(attacked):
    _, results, received = attacked
    for student, (_, _, _, before, after) in results.items():
        assert before == after, student
    assert received == []  # nothing reached the server on the grader's loopback


def test_no_process_of_an_attack_survives_its_grading(attacked):
    for marker in ("987651", "987652"):
        assert _processes_with(f"sleep {marker}") == []


def test_attack_feedback_holds_only_the_students_own_notebook(attacked):
    course, results, _ = attacked
    for student in results:
        folder = course.feedback_html(student, LESSON).parent
        assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["fixture.html"], student
        text = _visible_text(course.feedback_html(student, LESSON))
        assert HIDDEN_MARKER not in text and "BEGIN HIDDEN TESTS" not in text, student
        assert folder.stat().st_size < 10_000_000
    assert course.feedback_html("huge-image", LESSON).stat().st_size < 2_000_000


def test_a_broken_resubmission_is_not_graded_and_never_shows_the_old_score(attacked):
    from autograder.instructor.export import export

    course = attacked[0]
    sim.submit_text(course, "victim", LESSON, '{"cells": [')
    outcome = autograde(course, LESSON, ["victim"], say=lambda line: None)[0][0]
    assert "not valid JSON" in outcome.problem
    lines = []
    records = export(course, say=lines.append)
    (victim,) = [r for r in records if r.student_id == "victim" and r.assignment == LESSON]
    assert victim.status == "not graded" and victim.score is None and victim.shown == "NOT GRADED"
    assert any("victim / 00-fixture: NOT GRADED - not valid JSON" in line for line in lines)
    import csv
    with open(course.root / "grades.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "victim")
    assert row["status"] == "not graded" and "not valid JSON" in row["reason"] and row["score"] == ""


# ---- The same attacks on a real lesson (lesson 6: scikit-learn MLPs and the GIF frames) ----
REAL = "06-regularization"


@pytest.fixture(scope="module")
def attacked_real_lesson(tmp_path_factory):
    import course_utils
    from autograder.course import REPO_ROOT

    root = tmp_path_factory.mktemp("real-attacks") / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / REAL).symlink_to(REPO_ROOT / "notebooks" / REAL, target_is_directory=True)
    course = Course.at(root)
    course.answer_rules = False  # the sandbox beneath the rules, as in _new_course
    assert release(course, [REAL], check=False, say=lambda line: None) == []
    lib = Path(course_utils.__file__).parent
    full = lambda: sim.fill_with_solution(sim.released(course, REAL), sim.reference_answers(course, REAL))
    answers = sim.code_answer_cells(sim.released(course, REAL))

    def first_cell(nb, code):
        nb.cells.insert(0, sim.nbformat.v4.new_code_cell(code))
        return nb

    attacks = {
        "real-blank-patched": (first_cell(sim.released(course, REAL), (
            "import numpy, torch, math\nexpect = lambda *a, **k: None\n"
            "numpy.isclose = numpy.allclose = torch.allclose = math.isclose = lambda *a, **k: True\n")), 0),
        "real-blank-rewrites-cells": (first_cell(sim.released(course, REAL), (
            "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n")), 0),
        "real-correct-own-names-stderr": (sim.append_code(full(), answers[0], (
            "import sys\nprint('my own note', file=sys.stderr)\n"
            "def expect(*args):\n    raise RuntimeError('my expect')\n")), "full"),
        "real-correct-reads-course": (sim.append_code(full(), answers[0], (
            f"import os\nfor p in ({str(course.db_path)!r}, {str(REPO_ROOT / 'notebooks')!r}):\n"
            f"    print(p, os.path.exists(p))\n"
            f"try:\n    open({str(lib / 'planted.py')!r}, 'w')\nexcept OSError as e:\n    print(type(e).__name__)\n")),
            ("full", 3)),  # the code ran and reached nothing; the exercise's own-code check refuses
        # `import os`: full marks less that exercise's 3 points
    }
    results = {}
    for student, (nb, score) in attacks.items():
        before = (_tree_digest(REPO_ROOT / "notebooks" / REAL), _tree_digest(lib),
                  _tree_digest(course.root / "release"), gradebook_snapshot(course))
        sim.submit(course, student, REAL, nb)
        outcome = autograde(course, REAL, [student], say=lambda line: None)[0][0]
        others = {k: v for k, v in gradebook_snapshot(course).items() if k[0] != student}
        after = (_tree_digest(REPO_ROOT / "notebooks" / REAL), _tree_digest(lib),
                 _tree_digest(course.root / "release"), others)
        results[student] = (outcome, score, before, after)
    return results


def test_attacks_on_a_real_lesson_get_their_exact_scores(attacked_real_lesson):
    for student, (outcome, score, before, after) in attacked_real_lesson.items():
        assert outcome.problem is None, (student, outcome.line())
        expected = outcome.auto_max if score == "full" else \
            outcome.auto_max - score[1] if isinstance(score, tuple) else score
        assert outcome.auto_max > 0 and outcome.score == expected, (student, outcome.line())
        assert before == after, student
