"""The course's notebook regression run: nbval, with the tolerances cells declare.

    pytest --nbval-tolerant --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

Everything is nbval's (kernel, markers, sanitizers, reports) except two things:

- test cells run their visible part only, in any nbval run: a hidden test is grader code that
  runs outside the kernel (``autograder.grading.trusted_tests``), as in the runner that stored the
  outputs;
- with ``--nbval-tolerant``, a cell whose metadata declares a ``tolerance`` compares its numbers within it
  (``autograder.authoring.output_tolerance``); other cells compare exactly, as with ``--nbval``.

Each cell's report carries a ``numbers_moved`` property: how many printed numbers differed
from the stored ones and were accepted by the cell's tolerance.
"""
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from autograder.authoring.output_tolerance import Tolerance, align_outputs
from autograder.grading.trusted_tests import split_hidden

OPTION = "--nbval-tolerant"


def pytest_addoption(parser):
    parser.getgroup("nbval").addoption(
        OPTION, action="store_true",
        help="run notebooks as nbval does, comparing the numbers of cells that declare a "
             "'tolerance' in their metadata within it (autograder/authoring/output_tolerance.py)")


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if getattr(option, "nbval_tolerant", False) and file_path.suffix == ".ipynb" \
            and not (option.nbval or option.nbval_lax):
        return TolerantNotebook.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items):
    """Any nbval run (``--nbval-lax`` on a GPU too) executes the visible part of test cells."""
    for item in items:
        if isinstance(item, IPyNbCell) and item.cell.cell_type == "code":
            item.cell.source = split_hidden(item.cell.source)[0]


class TolerantNotebook(IPyNbFile):
    """A notebook whose cells are ``TolerantCell``s, their outputs always compared."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.compare_outputs = True
        # nbval leaves PNG and JPEG figures out of the comparison; an animated figure too
        self.skip_compare = self.skip_compare + ("image/gif",)

    def collect(self):
        for item in super().collect():
            yield TolerantCell.from_parent(self, name=item.name, cell_num=item.cell_num,
                                           cell=item.cell, options=item.options)


class TolerantCell(IPyNbCell):
    """A notebook cell compared by nbval after its numbers were aligned within tolerance."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.tolerance = Tolerance.of(self.cell.metadata)
        except ValueError as error:
            raise pytest.UsageError(f"{self.fspath} cell {self.cell_num}: {error}") from None

    def compare_outputs(self, test, ref, skip_compare=None):
        notes = []
        if self.tolerance is not None:
            test, ref, moved, notes = self._aligned(test, ref)
            self.user_properties.append(("numbers_moved", moved))
        same = super().compare_outputs(test, ref, skip_compare)
        if not same and notes:
            self.comparison_traceback.append(f"Compared with the cell's tolerance ({self.tolerance}):")
            self.comparison_traceback.extend("  " + note for note in notes)
        return same

    def _aligned(self, test, ref):
        """Sanitized copies of ``test`` and ``ref``, their texts masked and aligned."""
        test, ref = self.sanitize_outputs(test), self.sanitize_outputs(ref)
        comparisons = align_outputs(test, ref, self.tolerance)
        moved = sum(comparison.moved for comparison in comparisons)
        problems = [line for comparison in comparisons for line in comparison.problems]
        return test, ref, moved, problems
