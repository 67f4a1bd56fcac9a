"""Execute that survives a dead kernel and caps outputs while they are produced."""

import signal
from queue import Empty
from time import monotonic

import zmq
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer
from traitlets.utils.importstring import import_item
from zmq.utils.monitor import recv_monitor_message

from autograder.sandbox.warm_kernels import POOL

KERNEL_DIED = "DeadKernelError"
NOT_RUN = "NotRunError"
TIMED_OUT = "CellTimeoutError"
GRADER_ERRORS = {TIMED_OUT, KERNEL_DIED, NOT_RUN}
MiB = 1 << 20
QUIET_MESSAGES = {"status", "execute_input", "clear_output"}  # carry no output


def error_output(ename, evalue):
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

    warm_kernels = Bool(False, help="Start the next submission's kernel while this one runs "
                        "(autograder/sandbox/warm_kernels.py; grading switches it on)").tag(config=True)

    start_ahead = Bool(True, help="With warm_kernels: start a kernel for the next submission "
                       "(off for the last submission a grading process has)").tag(config=True)

    def _warm(self):
        return self.warm_kernels and hasattr(self.kernel_manager_class, "start_warm")

    def create_kernel_manager(self):
        """The kernel started ahead for this submission when there is one, else a new one."""
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or ""
        if self._warm():
            km = POOL.take(self.kernel_manager_class, self.kernel_name, self.config)
            if km is not None:
                km.adopt(self.resources.get("metadata", {}).get("path") or None)
                self.km = km
                return km
        return super().create_kernel_manager()

    async def async_start_new_kernel_client(self):
        client = await self._start_client()
        if self._warm() and self.start_ahead:
            try:
                await POOL.refill(self.kernel_manager_class, self.kernel_name, self.config,
                                  self.extra_arguments, self.nb.cells)
            except Exception as error:  # noqa: BLE001 - the next submission starts cold instead
                self.log.warning("no kernel started ahead: %s", error)
        return client

    async def _start_client(self):
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
            cell.outputs = [error_output(NOT_RUN, f"not run: the kernel {self._death} in cell {self._died_in_cell}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in_cell = index
            self.log.error("Kernel died in cell %s", index)
            if self.flooded is not None:
                self._death = "was stopped for its output"
                cell.outputs.append(error_output(KERNEL_DIED, f"this cell printed more than the "
                                           f"grader takes; {self.flooded}"))
            else:
                cell.outputs.append(error_output(
                    KERNEL_DIED, "the Python process died while running this cell "
                    "(os._exit, os.kill, a crash, running out of memory or out of time)"))
            return cell, resources
        if self.flooded is None and self._output_cut():  # e.g. its last output, too large
            self._stop_flood(f"output limit reached in cell {index}: one output was over the "
                             "size a message may have, and was dropped unread (kernel stopped)")
        if self.flooded is not None:
            self._died_in_cell, self._death = index, "was stopped for its output"
            cell.outputs.append(error_output(KERNEL_DIED, f"this cell printed more than the grader "
                                                    f"takes; {self.flooded}"))
            return cell, resources
        if any(o.output_type == "error" and o.ename == TIMED_OUT for o in cell.outputs) \
                and not run_sync(self._async_answers)(self.interrupt_grace):
            run_sync(self._async_stop_kernel)()
            self._died_in_cell, self._death = index, "was stopped"
            cell.outputs.append(error_output(KERNEL_DIED, "the kernel ignored the interrupt after the "
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
