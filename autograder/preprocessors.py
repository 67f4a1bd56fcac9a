"""nbgrader preprocessors the course registers through autograder/nbgrader_config.py."""
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds, Execute, NbGraderPreprocessor
from traitlets import Integer

KERNEL_DIED = "DeadKernelError"
NOT_RUN = "NotRunError"
HIDDEN = "[hidden test]"


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class ExecuteSurvivingKernelDeath(Execute):
    """nbgrader's Execute, except that a kernel crash fails the remaining cells.

    Plain nbgrader aborts the whole submission (no grades, no feedback) when the kernel
    dies, e.g. after ``os.kill(os.getpid(), 9)``, a segfault or running out of memory.
    Here the cell that crashed and every later code cell get an error output, so the
    cells that ran before keep their points and the student still gets feedback.
    """

    def preprocess(self, nb, resources=None, km=None):
        self._died_in_cell = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._died_in_cell is not None:
            cell.outputs = [_error(NOT_RUN, f"not run: the kernel died in cell {self._died_in_cell}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in_cell = index
            self.log.error("Kernel died in cell %s", index)
            cell.outputs.append(_error(
                KERNEL_DIED, "the Python process died while running this cell "
                "(os._exit, os.kill, a crash or running out of memory)"))
            return cell, resources


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
    """Cap the characters of each text output (LimitOutput only counts lines)."""

    max_chars = Integer(100_000, help="Most characters kept per output (-1: no limit)").tag(config=True)

    def _cut(self, text):
        if isinstance(text, list):
            text = "".join(text)
        if self.max_chars < 0 or len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... Output truncated to {self.max_chars} characters ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                for mime, value in output.data.items():
                    if mime.startswith("text/"):
                        output.data[mime] = self._cut(value)
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue)
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
