"""Judge a lesson's hidden tests in this process, without nbgrader.

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
from course_utils.own_code import top_level_names

SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?### END SOLUTION[ \t]*$", re.S | re.M)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


class LessonHiddenTests:
    """A lesson's answer cells, hidden tests and simulated students' spec.

    ``setup``: what the answer cells use from the lesson's setup cell (the cell itself also
    seeds, picks a device and sets matplotlib and torch options, which would leak into other
    tests here)."""

    def __init__(self, lesson, notebook, setup):
        nb = nbformat.read(str(REPO_ROOT / "notebooks" / lesson / notebook), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        self.answers = {_grade_id(c): c.source for c in code if c.metadata.get("nbgrader", {}).get("solution")}
        self.hidden = {_grade_id(c): split_hidden(c.source)[1] for c in code
                       if c.metadata.get("nbgrader", {}).get("grade")}
        self.spec = {}
        sims = Path(__file__).parent / "student_sims" / f"{lesson}.py"
        exec(compile(sims.read_text(), str(sims), "exec"), self.spec)
        self.setup = setup

    def namespace(self):
        """The namespace after the setup imports and the reference answers."""
        namespace = {"__name__": "__main__"}
        exec(compile(self.setup, "<setup>", "exec"), namespace)
        for source in self.answers.values():
            exec(compile(source, "<answer cell>", "exec"), namespace)
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

    def judge(self, namespace, test_id, seed, **replaced):
        namespace = dict(namespace)
        for source in replaced.values():
            exec(compile(source, "<replaced answer>", "exec"), namespace)
        sources = self.sources(*replaced.values())
        student = in_process_student(namespace, sources, cells=list(dict.fromkeys(sources.values())))
        return run_hidden_test(self.hidden[test_id], student, seed, name=test_id)
