"""The judged value comes from the answer cells alone (issue 21), on the fixture lesson.

What runs when grading is the release's cells and the student's answer cells: a cell the
student added never runs, an answer cell that breaks ``course_utils.answer_rules`` never runs,
and an answer cannot rebind the release's names for the cells after it. Honest scratch work
costs nothing. Points: square 1, mean 2, softmax 3 (6 in all).
"""
import json

import nbformat
import pytest
from fixture_course import new_fixture_course

from autograder.authoring import simulate as sim
from autograder.grading.batch import autograde

pytestmark = pytest.mark.slow

LESSON = "00-fixture"
GIVES_FULL_MARKS = ("def fake(*args):\n"
                    "    globals().update(square=lambda x: x * x, mean=lambda v: sum(v) / len(v),\n"
                    "                     softmax=lambda s: [1 / len(s)] * len(s))\n")


def _full(course):
    return sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))


def _blank_with_added_cell(course, code):
    nb = sim.released(course, LESSON)
    nb.cells.insert(1, nbformat.v4.new_code_cell(code))
    return nb


def _answer(course, cell_id, source, nb=None):
    return sim.replace_source(nb or _full(course), cell_id, source)


def _cases(course):
    """{student: (notebook, expected score, substring of a note or None)}."""
    square = "def square(x):\n    return x * x\n"
    return {
        # cells the student added do not run: hooks, patched imports, rebound names
        "added-pre-run-hook": (_blank_with_added_cell(course, GIVES_FULL_MARKS + (
            "get_ipython().events.register('pre_run_cell', fake)\n")), 0, None),
        "added-import-hook": (_blank_with_added_cell(course, (
            "import builtins\n_real = builtins.__import__\n" + GIVES_FULL_MARKS
            + "def hooked(*a, **k):\n    fake()\n    return _real(*a, **k)\n"
              "builtins.__import__ = hooked\n")), 0, None),
        "added-cell-rebinds-answer": (_blank_with_added_cell(course, (
            "def square(x):\n    return x * x\n")), 0, None),
        # an answer cell that reaches past its own code is not run
        "answer-registers-hook": (_answer(course, "square-answer", GIVES_FULL_MARKS + (
            "get_ipython().events.register('pre_run_cell', fake)\n" + square)), 5,
            "answer square-answer not run: `globals`"),
        "answer-reads-probe": (_answer(course, "mean-answer", (
            "import sys\nSEEN = sys.modules\ndef mean(values):\n    return sum(values) / len(values)\n")), 4,
            "answer mean-answer not run: `sys.modules`"),
        "answer-leaves-library": (_answer(course, "mean-answer", (
            "def mean(values):\n    probe = warnings.sys.modules\n    return sum(values) / len(values)\n")), 4,
            "reaches the interpreter's modules"),
        "answer-reads-frames": (_answer(course, "softmax-answer", (
            "def softmax(scores):\n    frame = (lambda: (yield))().gi_frame\n"
            "    return [1 / len(scores)] * len(scores)\n")), 3, "gi_frame"),
        "answer-formats-globals": (_answer(course, "square-answer", (
            "def square(x):\n    return '{0.__globals__}'.format(square) and x * x\n")), 5,
            "format fields may not read attributes"),
        "answer-patches-library": (_answer(course, "square-answer", (
            "math.isclose = lambda *a, **k: True\n" + square)), 5, "changes something this answer did not create"),
        "answer-reads-own-memory": (_answer(course, "square-answer", (
            "import numpy as np\ndef square(x):\n    try:\n"
            "        np.fromfile('/proc/self/mem', dtype=np.uint8, count=1)\n"
            "    except PermissionError:\n        return x * x  # the kernel's memory is not readable\n"
            "    except OSError:\n        return 0\n    return 0\n")), 6, None),
        # an answer cannot rebind the release's names for the cells after it
        "answer-rebinds-release-name": (_answer(course, "square-answer", (
            "class math:\n    exp = staticmethod(lambda x: 1.0)\n" + square)), 6, None),
        # honest work: scratch cells, magics, annotations
        "honest-scratch-cells": (sim.insert_code_cell(sim.insert_code_cell(_full(course), "square-tests", (
            "print(getattr(math, 'pi'), (3).__class__)\nimport gc, sys\ngc.collect()\nprint('math' in sys.modules)\n")),
            "mean-tests", "square = lambda x: 0\n"), 6, None),
        "honest-magics": (_answer(course, "mean-answer", "%%time\ndef mean(values):\n"
                                  "    if not values:\n        raise ValueError('empty')\n"
                                  "    return sum(values) / len(values)\n",
                                  _answer(course, "square-answer", "%matplotlib inline\n" + square)), 6, None),
        "honest-annotations": (_answer(course, "square-answer", (
            "from __future__ import annotations\ndef square(x: float) -> float:\n    return x * x\n"
            "x = 3\nsquare(x)\n")), 6, None),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_fixture_course(tmp_path_factory.mktemp("answer-alone") / "course", timeout=8)
    cases = _cases(course)
    for student, (nb, _, _) in cases.items():
        sim.submit(course, student, LESSON, nb)
    bom = course.submitted_notebook("honest-byte-order-mark", LESSON)
    bom.parent.mkdir(parents=True)
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(_full(course)).encode())
    cases["honest-byte-order-mark"] = (None, 6, "byte-order mark removed")
    outcomes, _ = autograde(course, LESSON, workers=1, say=lambda line: None)
    return course, cases, {o.student: o for o in outcomes}


def test_each_case_gets_its_exact_score_and_note(graded):
    course, cases, outcomes = graded
    for student, (_, score, note) in cases.items():
        outcome = outcomes[student]
        assert outcome.problem is None and outcome.score == score, (student, outcome.line())
        assert note is None or any(note in line for line in outcome.notes), (student, outcome.line())


def _autograded(course, student):
    return nbformat.read(str(course.autograded_notebook(student, LESSON)), as_version=4)


def _text(cell):
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


def test_added_cells_stay_in_the_feedback_marked_as_not_graded(graded):
    course = graded[0]
    nb = _autograded(course, "honest-scratch-cells")
    added = [cell for cell in nb.cells if cell.cell_type == "code" and not cell.metadata.get("nbgrader")]
    assert len(added) == 2 and all("not graded: you added this cell" in _text(cell) for cell in added)
    assert "getattr(math" in added[0].source


def test_a_refused_answer_shows_why_and_its_test_names_it(graded):
    course = graded[0]
    nb = _autograded(course, "answer-registers-hook")
    answer = sim.find_cell(nb, "square-answer")
    assert "[NOT RUN]" in _text(answer) and "globals" in _text(answer)
    test = sim.find_cell(nb, "square-tests")
    assert any("was not run" in str(output.get("evalue", "")) for output in test.outputs), test.outputs


def test_an_answer_runs_with_its_own_output(graded):
    """Magics dropped, the last expression displayed, as in the student's own kernel."""
    course = graded[0]
    nb = _autograded(course, "honest-annotations")
    results = [o for o in sim.find_cell(nb, "square-answer").outputs if o.output_type == "execute_result"]
    assert results and results[0].data["text/plain"] == "9"
