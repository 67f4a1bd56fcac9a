"""ExecuteAndJudge: run the notebook in the student's kernel, judge every test cell in the grader."""

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from queue import Empty
from time import monotonic

from jupyter_core.utils import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader import utils
from traitlets import Bool, Unicode, default

from autograder.grading import kernel_probe
from autograder.grading.trusted_tests import (
    Student,
    answer_code,
    install_code,
    run_hidden_test,
    split_hidden,
)
from autograder.notes import add_note
from autograder.preprocessors.execute import (
    GRADER_ERRORS,
    ExecuteSurvivingKernelDeath,
    error_output,
)
from course_utils.answer_rules import answer_problem, cell_level_names, runnable_answer

ADDED_CELL = ("(not graded: you added this cell. Cells you add do not run when your work is graded; "
              "what an answer needs belongs in its answer cell.)\n")


class ExecuteAndJudge(ExecuteSurvivingKernelDeath):
    """Run the release with the student's answers in the kernel; decide every grade outside it.

    What runs is the release's own cells (nbgrader restored them) and the student's answer
    cells, nothing else: cells the student added are not run and are marked as not graded. An
    answer cell that breaks :func:`course_utils.answer_rules.answer_problem` is not run either
    (its names are then missing, with the reason); the others run in a namespace of their own
    (:func:`autograder.grading.kernel_probe.run_answer`), so they cannot rebind the release's
    names. Hence the values a hidden test asks for come from the answer cells alone.

    A test cell's visible part runs in the kernel (the student's own feedback, which cannot
    change the grade). Its hidden test runs here, in the grader, against the student's values
    (:mod:`autograder.grading.trusted_tests`), with inputs derived from the course secret. The cell's
    outputs are then rewritten from the verdict: the visible outputs as plain text, plus an
    ``AssertionError`` carrying the hint when the test failed. nbgrader's SaveAutoGrades reads
    the grade from those outputs, so the gradebook, manual grading and export work unchanged.
    """

    secret_file = Unicode("", help="File with the course secret (created when missing)").tag(config=True)
    notes_dir = Unicode("", help="Folder for per-submission notes (autograder.notes)").tag(config=True)
    run_id = Unicode(help="Identifies one grading run; hidden inputs differ between runs").tag(config=True)
    answer_rules = Bool(True, help="Refuse answer cells that break course_utils.answer_rules (off only "
                                   "to test the sandbox beneath them)").tag(config=True)

    @default("run_id")
    def _new_run_id(self):
        return secrets.token_hex(8)

    def preprocess(self, nb, resources=None, km=None):
        self._installed, self._comm_id = False, None
        info = (resources or {}).get("nbgrader", {})
        self._who = f"{info.get('assignment', '')}/{info.get('student', '')}/{info.get('notebook', '')}"
        self._sources, self._editable = answer_sources(nb), editable_sources(nb)
        self._release, self._refused = release_names(nb), {}
        self._where = (info.get("assignment", ""), info.get("student", ""))
        self._sandboxed = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            box = self._sandboxed
            lines = (box.sandbox_notes + box.limits_hit()) if box is not None else []
            for line in lines + ([self.flooded] if self.flooded else []):
                self.note(line)

    def note(self, line):
        """Add a line to this submission's notes (autograder.notes)."""
        add_note(self.notes_dir, *self._where, line)

    def preprocess_cell(self, cell, resources, index):
        if self._sandboxed is None and hasattr(self.km, "limits_hit"):
            self._sandboxed = self.km  # read its notes once the kernel has stopped
        if cell.cell_type == "code" and not (utils.is_solution(cell) or utils.is_grade(cell)
                                             or utils.is_locked(cell)):
            cell.outputs, cell.execution_count = [new_output("stream", name="stdout", text=ADDED_CELL)], None
            return cell, resources
        if cell.cell_type == "code" and utils.is_solution(cell) and not utils.is_grade(cell) \
                and self._died_in_cell is None:
            return self._run_answer(cell, resources, index)
        if cell.cell_type != "code" or not utils.is_grade(cell) or self._died_in_cell is not None:
            return super().preprocess_cell(cell, resources, index)
        return self.judge_test_cell(cell, resources, index)[:2]

    def judge_test_cell(self, cell, resources, index):
        """Run a test cell's visible part in the kernel and judge its hidden test here;
        returns (cell, resources, the failing verdict's message or None when it passed)."""
        full_source = cell.source
        visible, hidden = split_hidden(full_source)
        cell.source = visible
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = full_source
        if self._died_in_cell is not None:
            return cell, resources, "the kernel died"  # the kernel-died error fails this cell and the rest
        if hidden is None:
            verdict_message = "this test cell has no hidden test: ask your instructor"
        else:
            grade_id = cell.metadata.nbgrader.get("grade_id", str(index))
            verdict = run_hidden_test(hidden, Student(self._send, self._sources, self._editable, self._refused),
                                      self._seed(grade_id), name=f"hidden test {grade_id}")
            verdict_message = None if verdict.passed else verdict.message
        cell.outputs = [as_text(output) for output in cell.outputs]
        if verdict_message is not None:
            cell.outputs.append(error_output("AssertionError", verdict_message))
        return cell, resources, verdict_message

    def _run_answer(self, cell, resources, index):
        """Run an answer cell through the probe, or refuse it: then it is only recorded (the
        self-checks read it and say why) and its output says it did not run."""
        hint = answer_problem(cell.source) if self.answer_rules else None
        if hint:
            self._refused.update(dict.fromkeys(cell_level_names(cell.source), hint))
            grade_id = cell.metadata.nbgrader.get("grade_id", str(index))
            self.note(f"answer {grade_id} not run: {hint}")
        self._install_probe()
        full_source = cell.source
        cell.source = answer_code(runnable_answer(full_source), self._release, run=not hint)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = full_source
        if hint:
            cell.outputs = [new_output("stream", name="stdout",
                                       text=f"[NOT RUN] this answer was not run when grading: {hint}\n")]
        return cell, resources

    # -- the kernel side, reached with requests made of names and plain data only
    def _install_probe(self):
        if not self._installed:
            self._installed = True
            self._run_quietly(install_code())
            self._comm_id = secrets.token_hex(16)
            self._round_trip(self._shell_message("comm_open", {
                "comm_id": self._comm_id, "target_name": kernel_probe.CHANNEL, "data": {}}))

    def _send(self, request):
        self._install_probe()
        answer = self._round_trip(self._shell_message("comm_msg", {
            "comm_id": self._comm_id, "data": {"request": json.dumps(request)}}))
        if not isinstance(answer, dict):
            return {"raised": "the kernel gave no answer (was the probe replaced?)"}
        return answer

    def _shell_message(self, msg_type, content):
        """Send a message on the shell channel; returns its id."""
        message = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(message)
        return message["header"]["msg_id"]

    def _run_quietly(self, code):
        """Execute ``code`` outside the notebook (no history, no outputs kept); return the
        probe's answer (see :meth:`_round_trip`)."""
        return self._round_trip(self.kc.execute(code, store_history=False, allow_stdin=False))

    def _round_trip(self, msg_id):
        return run_sync(self._async_round_trip)(msg_id)

    async def _async_round_trip(self, msg_id):
        """The probe's answer to the message ``msg_id`` (on its comm), once the kernel is idle
        again; a ``raised`` answer when the kernel timed out or died."""
        deadline = monotonic() + (self.timeout or 300)
        answer = None
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0 or not await ensure_async(self.km.is_alive()):
                await self._interrupt_or_note()
                return {"raised": "TimeoutError: no answer in time (or the kernel died)"}
            try:
                msg = await ensure_async(self.kc.get_iopub_msg(timeout=min(remaining, 1.0)))
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "comm_msg" and msg["content"].get("comm_id") == self._comm_id:
                answer = msg["content"].get("data", {}).get("answer", answer)
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return answer

    async def _interrupt_or_note(self):
        if await ensure_async(self.km.is_alive()):
            await ensure_async(self.km.interrupt_kernel())

    def _seed(self, grade_id):
        key = course_secret(self.secret_file)
        message = f"{self.run_id}/{self._who}/{grade_id}".encode()
        return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "little")


def course_secret(path):
    """The course's grading secret: random bytes in an instructor-only file (never released)."""
    if not path:
        return b"no-secret-configured"
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()


def answer_sources(nb):
    """Source of each answer cell, by every name it defines."""
    return {name: cell.source for cell in nb.cells
            if cell.cell_type == "code" and utils.is_solution(cell)
            for name in cell_level_names(cell.source)}


def editable_sources(nb):
    """Sources of the code cells that run and that a student can change: the answer cells."""
    return [cell.source for cell in nb.cells if cell.cell_type == "code" and utils.is_solution(cell)]


def release_names(nb):
    """Names the release's own code cells bind (the visible part of test cells included)."""
    return set().union(*(cell_level_names(split_hidden(cell.source)[0]) for cell in nb.cells
                         if cell.cell_type == "code" and not utils.is_solution(cell)
                         and (utils.is_locked(cell) or utils.is_grade(cell))))


def as_text(output):
    """A visible output that cannot change the grade: errors and stderr become plain text.

    The grader's own errors stay: a cell that timed out or whose kernel died is not graded."""
    if output.output_type == "error" and output.ename not in GRADER_ERRORS:
        return new_output("stream", name="stdout", text=f"{output.ename}: {output.evalue}\n")
    if output.output_type == "stream" and output.name == "stderr":
        return new_output("stream", name="stdout", text=output.text)
    return output
