"""ExecuteJudgeAndTryMutants: grade the reference, and try each mutant on its own exercise.

The release check (autograder/instructor/release.py) grades the source notebook with this
preprocessor in place of ExecuteAndJudge. Right after the last test cell of an exercise was
judged, each mutant of that exercise's answer cell (:mod:`autograder.mutants`) is tried in the
same kernel: the answer cell replaced by the mutant, the cells from it to that test cell run
again, exactly as grading runs them (answer rules, the answer's own namespace, added cells not
run), and the exercise's hidden tests judged. Then the reference answer and those cells run once
more, so the rest of the notebook is graded from the state the reference left. One notebook run
thus judges every mutant, and only the cells of its exercise run again for each.

What each mutant got (the test cells that lost points, the tests' messages, the self-check lines
printed meanwhile) is written as JSON to ``results``; the reference's own grade is untouched.
"""
import copy
import json
import re
from pathlib import Path

from nbgrader import utils
from traitlets import Unicode

from autograder.preprocessors.judge import ExecuteAndJudge
from course_utils.answer_rules import cell_level_names

CHECK_LINE = re.compile(r"^\[(PASS|FAIL|TODO)\] ")


def exercise_spans(nb):
    """{index of an exercise's last test cell: [indices of its answer cells]}: the answer cells
    before a run of graded cells, judged by the graded cells up to the next answer cell."""
    spans, answers, end = {}, [], None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if utils.is_solution(cell) and not utils.is_grade(cell):
            if end is not None:
                spans[end], answers, end = answers, [], None
            answers.append(index)
        elif utils.is_grade(cell) and answers:
            end = index
    if end is not None:
        spans[end] = answers
    return spans


class ExecuteJudgeAndTryMutants(ExecuteAndJudge):
    """ExecuteAndJudge that also tries the mutants of ``trials`` (see the module docstring)."""

    trials = Unicode("", help="JSON file with the mutants to try on one submission: {'student': id, "
                              "'mutants': [...], 'results': path of the JSON written}").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        plan = json.loads(Path(self.trials).read_text()) if self.trials else {}
        if plan.get("student") != (resources or {}).get("nbgrader", {}).get("student"):
            plan = {}  # the plan is for the reference; the release's other check is graded plainly
        self._mutants = {}
        for mutant in plan.get("mutants", []):
            self._mutants.setdefault(mutant["cell"], []).append(mutant)
        self._spans, self._results, self._trying = exercise_spans(nb), [], False
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if plan.get("results"):
                Path(plan["results"]).write_text(json.dumps(self._results, indent=1))

    def note(self, line):
        if not self._trying:  # what a mutant did is not the reference's note
            super().note(line)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if index in self._spans and self._died_in_cell is None:
            answers = [i for i in self._spans[index]
                       if self._mutants.get(self.nb.cells[i].metadata.nbgrader["grade_id"])]
            if answers:
                self._try_exercise(answers, index, resources)
        return cell, resources

    def _try_exercise(self, answers, end, resources):
        for answer in answers:
            grade_id = self.nb.cells[answer].metadata.nbgrader["grade_id"]
            for mutant in self._mutants[grade_id]:
                if self._died_in_cell is not None:
                    self._results.append({**mutant, "killed": None, "error": "the kernel died before"})
                    continue
                self._results.append({**mutant, **self._replay(answer, end, resources, mutant)})
        if self._died_in_cell is None:
            self._replay(min(answers), end, resources, None)  # back to the reference's state

    def _replay(self, start, end, resources, mutant):
        """Run cells ``start``..``end`` again, the answer cell ``start`` replaced by ``mutant``
        (None: as they are); return what the exercise's tests said."""
        saved = self._sources, self._editable, dict(self._refused)
        lost, messages, checks = {}, [], []
        self._trying = True
        try:
            if mutant is not None:
                names = cell_level_names(mutant["source"]) | cell_level_names(self.nb.cells[start].source)
                self._sources = {**{k: v for k, v in self._sources.items() if k not in names},
                                 **dict.fromkeys(cell_level_names(mutant["source"]), mutant["source"])}
                self._editable = [mutant["source"] if s == self.nb.cells[start].source else s
                                  for s in self._editable]
            for index in range(start, end + 1):
                # nbclient keeps the cell it runs at its index, and where the cell's displays are
                # (to update them): the copy takes both places while it runs, then they are put back
                kept, displays = self.nb.cells[index], copy.deepcopy(self._display_id_map)
                try:
                    cell = self.nb.cells[index] = copy.deepcopy(kept)
                    if cell.cell_type == "code":
                        cell_lost, cell_messages, cell_checks = self._run_again(
                            cell, resources, index, mutant if index == start else None)
                        lost.update(cell_lost)
                        messages += cell_messages
                        checks += cell_checks
                finally:
                    self.nb.cells[index], self._display_id_map = kept, displays
                if self._died_in_cell is not None:
                    lost.setdefault("kernel", 0)
                    messages.append("the kernel died")
                    break
        finally:
            self._sources, self._editable, self._refused = saved
            self._trying = False
        return {"killed": bool(lost), "lost": lost, "messages": messages, "checks": checks}

    def _run_again(self, cell, resources, index, mutant):
        """Run one cell of a replay (an answer cell as ``mutant`` when given); returns the test
        cells that lost points ({grade_id: points}), the failing tests' messages and the
        self-check lines printed."""
        lost, messages, checks = {}, [], []
        if mutant is not None:
            cell.source = mutant["source"]
        if utils.is_grade(cell):
            cell, _, message = self.judge_test_cell(cell, resources, index)
            errors = [o.evalue for o in cell.outputs if o.output_type == "error"]
            if message is not None or errors:
                lost[cell.metadata.nbgrader["grade_id"]] = cell.metadata.nbgrader.get("points", 0)
                messages.append(message or errors[0])
        else:
            cell, _ = ExecuteAndJudge.preprocess_cell(self, cell, resources, index)
            checks = [line.strip() for output in cell.outputs if output.get("output_type") == "stream"
                      for line in output.get("text", "").splitlines() if CHECK_LINE.match(line.strip())]
        if mutant is not None and mutant.get("added"):
            added = copy.deepcopy(cell)  # what a student adds has no nbgrader metadata
            added.metadata, added.source, added.outputs = {}, mutant["added"], []
            ExecuteAndJudge.preprocess_cell(self, added, resources, index)
        return lost, messages, checks

