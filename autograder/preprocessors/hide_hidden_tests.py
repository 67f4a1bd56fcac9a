"""HideHiddenTests: hidden tests removed from what students and their outputs see."""


from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Integer

HIDDEN = "[hidden test]"


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
