"""Warm kernels (autograder/sandbox/warm_kernels.py): the next submission's kernel starts ahead,
in a sandbox of its own, and serves that submission alone."""
import asyncio
import time

import nbformat
import pytest
from fixture_course import LESSON, full_solution, new_fixture_course

from autograder.authoring import simulate as sim
from autograder.grading.batch import grade_batch
from autograder.sandbox.bubblewrap import sandbox_unavailable
from autograder.sandbox.kernel_manager import SandboxedKernelManager
from autograder.sandbox.warm_kernels import POOL, lesson_imports

REASON = sandbox_unavailable()


def _cell(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def test_only_the_lessons_locked_cells_choose_what_is_imported_ahead():
    cells = [_cell("import numpy as np\nimport torch.nn as nn\nfrom sklearn.metrics import f1_score\n"
                   "import os, json\nfrom . import here", locked=True, grade_id="setup"),
             _cell("import pandas", locked=True, solution=True, grade_id="answer"),  # the student's
             _cell("import scipy"),  # a cell the student added
             _cell("import matplotlib.pyplot as plt\nimport torch.nn as nn", locked=True, grade_id="b"),
             _cell("this is not python", locked=True, grade_id="c"),
             _cell("from course_utils.checks import self_check\nimport course_utils", locked=True, grade_id="d")]
    assert lesson_imports(cells) == ["numpy", "torch.nn", "sklearn.metrics", "matplotlib.pyplot",
                                     "torch._dynamo"]  # what torch's optimizers import at first use
    assert lesson_imports(cells, ["course_utils"])[4:6] == ["course_utils.checks", "course_utils"]


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_a_warm_kernel_gets_one_submission_and_its_clock_starts_then(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "mine.txt").write_text("alice's")

    async def scenario():
        km = SandboxedKernelManager(time_limit=4, preload=["numpy", "not a module", "os; import x"])
        await km.start_warm()
        try:
            time.sleep(5)  # longer than the submission may take: the clock has not started
            km.adopt(str(tmp_path / "alice"))
            client = km.client()
            client.start_channels()
            await client.wait_for_ready(timeout=120)
            code = "import os, sys; print(sorted(os.listdir('.')), 'numpy' in sys.modules, 'x' in sys.modules)"
            reply = await client.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(m))
            client.stop_channels()
            return reply["content"]["status"], km.limits_hit()
        finally:
            km.discard()

    out = []
    status, hits = asyncio.run(scenario())
    printed = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
    assert status == "ok" and hits == []
    assert printed.strip() == "['mine.txt'] True False"


@pytest.mark.slow
@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_a_batch_takes_the_kernels_started_ahead_and_leaves_none(tmp_path):
    course = new_fixture_course(tmp_path / "course")
    for student in ("ann", "ben", "cy"):
        sim.submit(course, student, LESSON, full_solution(course))
    before, started = POOL.taken, POOL.started
    report = grade_batch(course, [(LESSON, None)], workers=1, say=lambda line: None)
    assert [o.score for o in report.outcomes] == [6, 6, 6]
    assert POOL.taken - before == 2  # the second and third submissions found theirs started
    assert POOL.started - started == 2  # and none was started after the last one
    assert not POOL.waiting
