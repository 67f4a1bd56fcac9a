"""TruncateLongOutputs: long outputs cut in the feedback."""


from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

from autograder.notes import add_note


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
