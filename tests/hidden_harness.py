"""Judge a lesson's hidden tests in this process, without nbgrader: the one harness every
lesson's hidden tests are tried with (tests/test_hidden_tests.py, tests/test_hidden_lNN.py).

The grader runs a hidden test with ``student`` bound to the student's kernel. Here the
"kernel" is a namespace in this process holding the lesson's setup and answer cells, answered
by the grader's own probe code (``trusted_tests.in_process_student``) through the same JSON
requests, so the reference solution and common mistakes are judged for several seeds in
seconds. tests/test_autograder_sims.py grades the same students for real.
"""
import re
from pathlib import Path

import nbformat

from autograder.course import REPO_ROOT
from autograder.grading.trusted_tests import (
    in_process_student,
    run_hidden_test,
    split_hidden,
)
from autograder.mutants import catalogue
from course_utils.answer_rules import answer_problem, cell_level_names, runnable_answer
from course_utils.own_code import top_level_names

SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?### END SOLUTION[ \t]*$", re.S | re.M)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


class LessonHiddenTests:
    """A lesson's answer cells, hidden tests, named mistakes and partial submission.

    ``setup``: what the answer cells use from the lesson's setup cell (the cell itself also
    seeds, picks a device and sets matplotlib and torch options, which would leak into other
    tests here); None runs the setup cell itself, its figure settings kept inside. ``skip``:
    hidden tests not judged here (one that needs the notebook's own training run)."""

    def __init__(self, lesson, notebook, setup, skip=()):
        nb = nbformat.read(str(REPO_ROOT / "notebooks" / lesson / notebook), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        self.answers = {_grade_id(c): c.source for c in code if c.metadata.get("nbgrader", {}).get("solution")}
        self.hidden = {_grade_id(c): split_hidden(c.source)[1] for c in code
                       if c.metadata.get("nbgrader", {}).get("grade")}
        self.points = {_grade_id(c): c.metadata.nbgrader["points"] for c in code
                       if c.metadata.get("nbgrader", {}).get("grade")}
        self.judged = sorted(set(self.hidden) - set(skip))
        self.first_cell = code[0].source
        self.mistakes = catalogue(lesson)[0]  # the lesson's named mistakes (autograder/mutants/)
        self.spec = {}  # its partial submission (tests/student_sims/)
        sims = Path(__file__).parent / "student_sims" / f"{lesson}.py"
        exec(compile(sims.read_text(), str(sims), "exec"), self.spec)
        self.setup = setup

    def namespace(self, replace=None):
        """The namespace after the setup and the answer cells in order, the reference's unless
        ``replace`` ({answer cell id: source}) gives another: one module's globals, as in a
        kernel, so an answer that calls another finds the replaced one."""
        import matplotlib

        namespace = {"__name__": "__main__"}
        with matplotlib.rc_context():  # the setup cell's figure settings stay in this run
            exec(compile(self.setup or self.first_cell, "<setup>", "exec"), namespace)
        for cell_id, source in self.answers.items():
            source = (replace or {}).get(cell_id, source)
            if answer_problem(source) is None:  # as the grader: a refused answer does not run
                exec(compile(runnable_answer(source), f"<{cell_id}>", "exec"), namespace)
        return namespace

    def unanswered(self):
        return {cell: SOLUTION.sub(r"\1raise NotImplementedError()", source)
                for cell, source in self.answers.items()}

    def sources(self, *replaced):
        """The answer cells' sources by each name they define (what ``expect_own_code`` reads),
        with ``replaced`` sources taking over the names they define."""
        sources = {}
        for source in (*self.answers.values(), *replaced):
            sources.update(dict.fromkeys(top_level_names(source), source))
        return sources

    def student(self, replace=None, *, namespace=None, extra=()):
        """The grader's view of a kernel that ran the lesson with ``replace``'d answer cells (or of
        ``namespace`` as it is), plus ``extra`` sources run after them."""
        namespace = self.namespace(replace) if namespace is None else namespace
        for source in extra:
            if answer_problem(source) is None:
                exec(compile(runnable_answer(source), "<extra answer>", "exec"), namespace)
        sources = self.sources(*(replace or {}).values(), *extra)
        refused = {name: answer_problem(source) for source in (*(replace or {}).values(), *extra)
                   if answer_problem(source) for name in cell_level_names(source)}
        return in_process_student(namespace, sources, cells=list(dict.fromkeys(sources.values())),
                                  refused=refused)

    def score(self, student, seed):
        """(points of the judged tests passed, {test: message} of those failed)."""
        verdicts = {test_id: run_hidden_test(self.hidden[test_id], student, seed, name=test_id)
                    for test_id in self.judged}
        return (sum(self.points[t] for t, v in verdicts.items() if v.passed),
                {t: v.message for t, v in verdicts.items() if not v.passed})

    def judge_student(self, student, test_id, seed):
        return run_hidden_test(self.hidden[test_id], student, seed, name=test_id)

    def judge(self, namespace, test_id, seed, **replaced):
        """One hidden test's verdict on the reference answers plus the ``replaced`` sources, run
        after them in a fresh namespace (``namespace`` is not changed)."""
        return self.judge_student(self.student(extra=replaced.values()), test_id, seed)


# Every lesson, with what its answer cells need from the lesson's setup cell.
LESSONS = {
    "01-loss-functions": LessonHiddenTests(
        "01-loss-functions", "loss_functions.ipynb",
        setup=("import numpy as np\nimport torch\nfrom torch import nn\n"
               "from torch.nn import functional as F\nfrom course_utils import MLP\n")),
    "02-pytorch-workflow": LessonHiddenTests("02-pytorch-workflow", "pytorch_workflow.ipynb", setup=None),
    "03-activations-mlps": LessonHiddenTests(
        "03-activations-mlps", "activations_mlps.ipynb",
        setup=("import numpy as np\nimport torch\nfrom torch import nn\n"
               "from torch.utils.data import Dataset, random_split\nfrom course_utils import MLP\n")),
    "04-xor": LessonHiddenTests(
        "04-xor", "xor.ipynb",
        setup="import numpy as np\nimport torch\nfrom torch import nn\nfrom course_utils import MLP, fit\n"),
    "05-mnist": LessonHiddenTests(
        "05-mnist", "mnist.ipynb",
        setup=("import numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
               "from course_utils.datasets import MNIST_MEAN, MNIST_STD\n"),
        skip={"ex4-cnn-trained-tests"}),  # trains the notebook's CNN: graded for real in test_autograder_sims
    "06-regularization": LessonHiddenTests("06-regularization", "regularization.ipynb", setup=None),
}
