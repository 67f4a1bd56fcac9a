"""nbgrader preprocessors the course registers through autograder/nbgrader_config.py."""
import hashlib
import hmac
import secrets
import signal
from pathlib import Path
from queue import Empty
from time import monotonic

import zmq
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds, Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode, default
from traitlets.utils.importstring import import_item
from zmq.utils.monitor import recv_monitor_message

from autograder import kernel_probe
from autograder.notes import add_note
from course_utils.own_code import top_level_names
from autograder.trusted_tests import Student, install_code, request_code, run_hidden_test, split_hidden

KERNEL_DIED = "DeadKernelError"
NOT_RUN = "NotRunError"
HIDDEN = "[hidden test]"
TIMED_OUT = "CellTimeoutError"
GRADER_ERRORS = {TIMED_OUT, KERNEL_DIED, NOT_RUN}
MiB = 1 << 20
QUIET_MESSAGES = {"status", "execute_input", "clear_output"}  # carry no output


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _text_bytes(value, depth=0):
    """Characters of text in a message's content (its outputs' text and data)."""
    if isinstance(value, str):
        return len(value)
    if depth > 8:
        return 0
    if isinstance(value, dict):
        return sum(_text_bytes(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_text_bytes(v, depth + 1) for v in value)
    return 0


class ExecuteSurvivingKernelDeath(Execute):
    """nbgrader's Execute, except that a kernel crash fails the remaining cells.

    Plain nbgrader aborts the whole submission (no grades, no feedback) when the kernel
    dies, e.g. after ``os.kill(os.getpid(), 9)``, a segfault or running out of memory.
    Here the cell that crashed and every later code cell get an error output, so the
    cells that ran before keep their points and the student still gets feedback. A cell that
    timed out and whose kernel then ignores the interrupt stops the kernel the same way,
    instead of every later cell waiting out its own timeout.

    ``c.Execute.kernel_manager_class`` is honoured (nbgrader's Execute passes its own default
    as a keyword argument, which would win over the configuration).
    """

    interrupt_grace = Integer(5, help="Seconds a kernel gets to answer after a timed-out cell "
                                      "was interrupted, before it is stopped").tag(config=True)
    max_cell_output = Integer(32 * MiB, help="Bytes of output one cell may send while it runs; "
                                             "past them the kernel is stopped").tag(config=True)
    max_output = Integer(128 * MiB, help="Bytes of output the whole notebook may send while it "
                                        "runs; past them the kernel is stopped").tag(config=True)

    def __init__(self, *args, **kwargs):
        config = kwargs.get("config") or getattr(kwargs.get("parent"), "config", None)
        configured = config.Execute.get("kernel_manager_class") if config is not None else None
        if configured and "kernel_manager_class" not in kwargs:
            kwargs["kernel_manager_class"] = import_item(configured) if isinstance(configured, str) \
                else configured
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._died_in_cell, self._death = None, "died"
        self._output_bytes, self._cell_bytes, self.flooded = 0, 0, None
        return super().preprocess(nb, resources, km)

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        # the output connection is cut when a message over the sandbox's size limit arrives
        # (ZMQ_MAXMSGSIZE): watch for that, since the message itself never shows up
        self._iopub_monitor = client.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._iopub_events = zmq.Socket.shadow(self._iopub_monitor.underlying)
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # nbclient binds its own

    def _output_cut(self) -> bool:
        """Whether the kernel's output connection was cut since the last look."""
        cut = False
        while getattr(self, "_iopub_events", None) is not None:
            try:
                recv_monitor_message(self._iopub_events, flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            cut = True
        return cut

    def process_message(self, msg, cell, cell_index):
        """Count each output while the cell runs; past a limit, stop the kernel at once and
        keep nothing more, so that a flood never grows the grader's memory."""
        if msg["msg_type"] not in QUIET_MESSAGES or self.flooded is not None:
            size = _text_bytes(msg.get("content"))
            self._cell_bytes += size
            self._output_bytes += size
        if self.flooded is None:
            limit = self.max_cell_output if self._cell_bytes > self.max_cell_output else \
                self.max_output if self._output_bytes > self.max_output else None
            if limit is not None:
                self._stop_flood(f"output limit reached in cell {cell_index}: over "
                                 f"{limit // MiB} MiB printed while it ran (kernel stopped)")
            elif self._output_cut():
                self._stop_flood(f"output limit reached in cell {cell_index}: one output was "
                                 "over the size a message may have, and was dropped unread "
                                 "(kernel stopped)")
        if self.flooded is not None:
            return None
        return super().process_message(msg, cell, cell_index)

    def _stop_flood(self, why):
        self.flooded = why
        self.log.error("Stopping the kernel: %s", why)
        self._kill_kernel_now()

    def _kill_kernel_now(self):
        if hasattr(self.km, "kill_all"):  # the sandbox: every process of the kernel
            self.km.kill_all()
            return
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            process.kill()

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        self._cell_bytes = 0
        if self._died_in_cell is not None:
            cell.outputs = [_error(NOT_RUN, f"not run: the kernel {self._death} in cell {self._died_in_cell}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in_cell = index
            self.log.error("Kernel died in cell %s", index)
            if self.flooded is not None:
                self._death = "was stopped for its output"
                cell.outputs.append(_error(KERNEL_DIED, f"this cell printed more than the "
                                           f"grader takes; {self.flooded}"))
            else:
                cell.outputs.append(_error(
                    KERNEL_DIED, "the Python process died while running this cell "
                    "(os._exit, os.kill, a crash, running out of memory or out of time)"))
            return cell, resources
        if self.flooded is None and self._output_cut():  # e.g. its last output, too large
            self._stop_flood(f"output limit reached in cell {index}: one output was over the "
                             "size a message may have, and was dropped unread (kernel stopped)")
        if self.flooded is not None:
            self._died_in_cell, self._death = index, "was stopped for its output"
            cell.outputs.append(_error(KERNEL_DIED, f"this cell printed more than the grader "
                                                    f"takes; {self.flooded}"))
            return cell, resources
        if any(o.output_type == "error" and o.ename == TIMED_OUT for o in cell.outputs) \
                and not run_sync(self._async_answers)(self.interrupt_grace):
            run_sync(self._async_stop_kernel)()
            self._died_in_cell, self._death = index, "was stopped"
            cell.outputs.append(_error(KERNEL_DIED, "the kernel ignored the interrupt after the "
                                                    "time limit and was stopped"))
        return cell, resources

    async def _async_answers(self, seconds):
        """Whether the kernel finishes a trivial request within ``seconds``."""
        msg_id = self.kc.execute("", store_history=False, allow_stdin=False)
        deadline = monotonic() + seconds
        while (remaining := deadline - monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.get_iopub_msg(timeout=min(remaining, 0.5)))
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                    and msg["content"]["execution_state"] == "idle":
                return True
        return False

    async def _async_stop_kernel(self):
        await ensure_async(self.km.signal_kernel(signal.SIGKILL))


class ExecuteAndJudge(ExecuteSurvivingKernelDeath):
    """Run the notebook in the student's kernel; decide every test cell's grade outside it.

    A test cell's visible part runs in the kernel (the student's own feedback, which cannot
    change the grade). Its hidden test runs here, in the grader, against the student's values
    (:mod:`autograder.trusted_tests`), with inputs derived from the course secret. The cell's
    outputs are then rewritten from the verdict: the visible outputs as plain text, plus an
    ``AssertionError`` carrying the hint when the test failed. nbgrader's SaveAutoGrades reads
    the grade from those outputs, so the gradebook, manual grading and export work unchanged.
    """

    secret_file = Unicode("", help="File with the course secret (created when missing)").tag(config=True)
    notes_dir = Unicode("", help="Folder for per-submission notes (autograder.notes)").tag(config=True)
    run_id = Unicode(help="Identifies one grading run; hidden inputs differ between runs").tag(config=True)

    @default("run_id")
    def _new_run_id(self):
        return secrets.token_hex(8)

    def preprocess(self, nb, resources=None, km=None):
        self._installed = False
        info = (resources or {}).get("nbgrader", {})
        self._who = f"{info.get('assignment', '')}/{info.get('student', '')}/{info.get('notebook', '')}"
        self._sources, self._editable = answer_sources(nb), editable_sources(nb)
        self._where = (info.get("assignment", ""), info.get("student", ""))
        self._sandboxed = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            box = self._sandboxed
            lines = (box.sandbox_notes + box.limits_hit()) if box is not None else []
            for line in lines + ([self.flooded] if self.flooded else []):
                add_note(self.notes_dir, *self._where, line)

    def preprocess_cell(self, cell, resources, index):
        if self._sandboxed is None and hasattr(self.km, "limits_hit"):
            self._sandboxed = self.km  # read its notes once the kernel has stopped
        if cell.cell_type != "code" or not utils.is_grade(cell) or self._died_in_cell is not None:
            return super().preprocess_cell(cell, resources, index)
        full_source = cell.source
        visible, hidden = split_hidden(full_source)
        cell.source = visible
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = full_source
        if self._died_in_cell is not None:
            return cell, resources  # the kernel-died error fails this cell and the rest
        if hidden is None:
            verdict_message = "this test cell has no hidden test: ask your instructor"
        else:
            grade_id = cell.metadata.nbgrader.get("grade_id", str(index))
            verdict = run_hidden_test(hidden, Student(self._send, self._sources, self._editable),
                                      self._seed(grade_id), name=f"hidden test {grade_id}")
            verdict_message = None if verdict.passed else verdict.message
        cell.outputs = [_as_text(output) for output in cell.outputs]
        if verdict_message is not None:
            cell.outputs.append(_error("AssertionError", verdict_message))
        return cell, resources

    # -- the kernel side, reached with requests made of names and plain data only
    def _send(self, request):
        if not self._installed:
            self._installed = True
            self._run_quietly(install_code())
        answer = self._run_quietly(request_code(request))
        if not isinstance(answer, dict):
            return {"raised": "the kernel gave no answer (was the probe replaced?)"}
        return answer

    def _run_quietly(self, code):
        return run_sync(self._async_run_quietly)(code)

    async def _async_run_quietly(self, code):
        """Execute ``code`` outside the notebook (no history, no outputs kept); return the
        probe's answer, or a ``raised`` answer when the kernel timed out or died."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
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
            if msg["msg_type"] == "display_data":
                answer = msg["content"]["data"].get(kernel_probe.MIME, answer)
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return answer

    async def _interrupt_or_note(self):
        if await ensure_async(self.km.is_alive()):
            await ensure_async(self.km.interrupt_kernel())

    def _seed(self, grade_id):
        key = _course_secret(self.secret_file)
        message = f"{self.run_id}/{self._who}/{grade_id}".encode()
        return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "little")


def _course_secret(path):
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
    """Source of each answer cell, by every name it defines at top level."""
    return {name: cell.source for cell in nb.cells
            if cell.cell_type == "code" and utils.is_solution(cell)
            for name in top_level_names(cell.source)}


def editable_sources(nb):
    """Sources of the code cells a student can change: answer cells and cells they added."""
    return [cell.source for cell in nb.cells if cell.cell_type == "code" and (
        utils.is_solution(cell) or not cell.metadata.get("nbgrader"))]


def _as_text(output):
    """A visible output that cannot change the grade: errors and stderr become plain text.

    The grader's own errors stay: a cell that timed out or whose kernel died is not graded."""
    if output.output_type == "error" and output.ename not in GRADER_ERRORS:
        return new_output("stream", name="stdout", text=f"{output.ename}: {output.evalue}\n")
    if output.output_type == "stream" and output.name == "stderr":
        return new_output("stream", name="stdout", text=output.text)
    return output


class DeduplicateIdsCompletely(DeduplicateIds):
    """nbgrader's DeduplicateIds, but an earlier duplicate loses its nbgrader metadata entirely.

    nbgrader leaves ``"nbgrader": {}`` on it, which OverwriteCells.add_missing_cells then
    reads as a cell without ``grade_id`` (KeyError: the whole submission fails).
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class TruncateLongOutputs(NbGraderPreprocessor):
    """Cap the characters of each text output (LimitOutput only counts lines) and drop
    images, and other binary outputs, larger than ``max_image_chars`` (base64); each cut is
    noted on the submission's line."""

    max_chars = Integer(100_000, help="Most characters kept per output (-1: no limit)").tag(config=True)
    max_image_chars = Integer(2_000_000, help="Largest image or other binary output kept, in "
                                              "base64 characters (-1: no limit)").tag(config=True)
    notes_dir = Unicode("", help="Folder for per-submission notes (autograder.notes)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._cut_cells, self._where = set(), ("", "")

    def preprocess(self, nb, resources):
        info = (resources or {}).get("nbgrader", {})
        self._where = (info.get("assignment", ""), info.get("student", ""))
        self._cut_cells = set()
        nb, resources = super().preprocess(nb, resources)
        if self._cut_cells:
            cells = ", ".join(str(i) for i in sorted(self._cut_cells))
            add_note(self.notes_dir, *self._where, f"output over the size limit cut in cell(s) {cells}")
        return nb, resources

    def _cut(self, text, index):
        if isinstance(text, list):
            text = "".join(text)
        if self.max_chars < 0 or len(text) <= self.max_chars:
            return text
        self._cut_cells.add(index)
        return text[: self.max_chars] + f"\n... Output truncated to {self.max_chars} characters ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text, index)
            elif output.output_type in ("execute_result", "display_data"):
                for mime, value in list(output.data.items()):
                    if mime.startswith("text/") or mime.endswith("json"):
                        output.data[mime] = self._cut(value, index) if isinstance(value, (str, list)) else value
                    elif 0 <= self.max_image_chars < len(value if isinstance(value, str) else str(value)):
                        self._cut_cells.add(index)
                        del output.data[mime]
                        output.data["text/plain"] = (f"[{mime} output of {len(value) * 3 // 4 // 1024} KiB "
                                                     "removed: over the size limit]")
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue, index)
        return cell, resources


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden tests from the feedback, keeping the message of a failed assertion.

    The autograded notebook holds the hidden tests again. Besides deleting the hidden
    region from each test cell, this shortens the traceback of a test cell that had
    hidden tests to ``Error: message`` (tracebacks quote the failing line) and replaces
    every hidden test line echoed in any output (a submission can print ``In`` or
    inspect its caller) with a placeholder.
    """

    min_line_chars = Integer(8, help="Shorter hidden lines (else:, pass) are not scrubbed").tag(config=True)

    def preprocess(self, nb, resources):
        self._hidden_lines = set()
        nb, resources = super().preprocess(nb, resources)
        lines = sorted(self._hidden_lines, key=len, reverse=True)
        if lines:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    for output in cell.outputs:
                        _scrub_output(output, lines)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        before = set(cell.source.splitlines())
        if self._remove_hidden_test_region(cell):
            hidden = before - set(cell.source.splitlines())
            self._hidden_lines.update(
                line.strip() for line in hidden if len(line.strip()) >= self.min_line_chars)
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def _scrub(text, lines):
    if isinstance(text, list):
        text = "".join(text)
    for line in lines:
        text = text.replace(line, HIDDEN)
    return text


def _scrub_output(output, lines):
    if output.output_type == "stream":
        output.text = _scrub(output.text, lines)
    elif output.output_type == "error":
        output.evalue = _scrub(output.evalue, lines)
        output.traceback = [_scrub(line, lines) for line in output.traceback]
    elif output.output_type in ("execute_result", "display_data"):
        for mime, value in output.data.items():
            if isinstance(value, (str, list)):
                output.data[mime] = _scrub(value, lines)


RAISES = "raises-exception"


class TagCellsThatRaise(NbGraderPreprocessor):
    """In a release, tag the cells that raise until the student answers with JupyterLab's
    ``raises-exception``, so that Run All goes on past them to the end of the lesson.

    Those are the graded test cells (they call the unanswered functions) and answer cells whose
    top level raises (``raise NotImplementedError()`` outside a function). Grading is unchanged:
    nbgrader scores a cell by its outputs, not by its tags."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and (
                (utils.is_grade(cell) and not utils.is_solution(cell)) or _raises_at_top_level(cell.source)):
            tags = cell.metadata.setdefault("tags", [])
            if RAISES not in tags:
                tags.append(RAISES)
        return cell, resources


def _raises_at_top_level(source):
    import ast

    try:
        return any(isinstance(node, ast.Raise) for node in ast.parse(source).body)
    except SyntaxError:
        return False
