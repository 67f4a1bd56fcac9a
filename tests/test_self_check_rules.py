"""Every self-check says what grading would refuse: an answer that breaks the answer rules gets a
[FAIL] line even from a self-check whose own checks pass (course_utils.checks.self_check)."""
import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    shell.run_cell("from course_utils import expect, self_check", store_history=True)
    yield shell
    InteractiveShell.clear_instance()


CHECK = "with self_check('Exercise 1: square'):\n    expect(square(3) == 9, 'square(3) is 9')\n"


@pytest.mark.parametrize("answer,hint", [
    ("def square(x):\n    return getattr(x, '__mul__')(x)\n", "getattr"),
    ("import os\n\n\ndef square(x):\n    return x * x\n", "os"),
    ("def square(x):\n    return eval('x * x')\n", "eval"),
])
def test_a_self_check_fails_an_answer_grading_would_not_run(shell, capsys, answer, hint):
    shell.run_cell(answer, store_history=True)
    shell.run_cell(CHECK, store_history=True)
    out = capsys.readouterr().out
    assert out.startswith("[FAIL] Exercise 1: square: ") and hint in out, out


def test_a_right_answer_passes_and_other_cells_do_not_count(shell, capsys):
    shell.run_cell("import os\nscratch = os.getcwd()", store_history=True)  # a scratch cell: not graded
    shell.run_cell("def square(x):\n    return x * x\n", store_history=True)
    shell.run_cell(CHECK, store_history=True)
    assert capsys.readouterr().out == "[PASS] Exercise 1: square\n"
