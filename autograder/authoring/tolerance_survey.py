"""How far the lessons' printed numbers move under other CPU kernels, against the tolerances
their cells declare (``autograder.authoring.output_tolerance``).

    python -m autograder.authoring.tolerance_survey build/kernels/*   # folders the runner wrote

Each folder holds lessons that ``python -m autograder.authoring.runner --output-dir`` executed under
other kernels (``make tolerance-survey`` makes three). For each code cell whose text outputs
differ from the stored ones in any folder, one line: the largest move of its percentages (in
points), of its other decimals (a share of their size) and of its whole numbers (after which
text), the tolerance the cell declares, and whether every run stays within it. Exits with 1
when one does not.
"""
import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams, get_sanitize_patterns

from autograder.authoring.output_tolerance import Tolerance, align_outputs
from course_utils.settings import REPO_ROOT

SANITIZE = REPO_ROOT / "tests" / "nbval_sanitize.cfg"
NOT_COMPARED = ("image/png", "image/jpeg", "image/gif",  # as in the regression run
                "application/vnd.jupyter.widget-view+json")


class CellSurvey:
    """What one code cell's numbers did across the runs."""

    def __init__(self, tolerance):
        self.tolerance = tolerance
        self.runs = 0
        self.largest = defaultdict(float)  # kind -> largest gap
        self.counts = defaultdict(float)   # last words before a whole number -> largest gap
        self.other_differs = False
        self.refused = False

    def add(self, comparisons, same_outputs: bool):
        """One run's comparisons; ``same_outputs``: whether everything else came out as stored."""
        self.runs += 1
        self.other_differs |= not same_outputs
        for move in (move for comparison in comparisons for move in comparison.moves):
            self.refused |= bool(move.objection) or self.tolerance is None
            self.largest[move.kind] = max(self.largest[move.kind], move.gap)
            if move.kind == "integer":
                words = " ".join(move.before.split()[-3:])
                self.counts[words] = max(self.counts[words], move.gap)

    def row(self) -> str:
        moved = [f"{self.largest['percent']:.2f} points" if "percent" in self.largest else "",
                 f"{self.largest['decimal']:.1%} of size" if "decimal" in self.largest else ""]
        moved += [f"+-{gap:g} after '{words}'" for words, gap in self.counts.items()]
        if self.other_differs:
            moved.append("OTHER OUTPUT DIFFERS (text, images, order)")
        verdict = "beyond" if self.refused or self.other_differs else "within"
        declared = "exact" if self.tolerance is None else str(self.tolerance)
        return f"{'; '.join(m for m in moved if m)} | {verdict} {declared}"


def _texts(outputs, patterns):
    """Outputs as the regression run compares them: streams joined, texts sanitized."""
    kept = []
    for output in coalesce_streams([nbformat.from_dict(o) for o in outputs]):
        if output.output_type == "stream":
            output.text = _sanitize(output.text, patterns)
        elif "data" in output:  # figures are not compared, as in the regression run
            output.data = {k: _sanitize(v, patterns) if isinstance(v, str) else v
                           for k, v in output.data.items() if k not in NOT_COMPARED}
        output.pop("metadata", None)
        output.pop("execution_count", None)
        kept.append(output)
    return kept


def _sanitize(text, patterns):
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def survey(runs, notebooks: Path) -> dict:
    """{(lesson notebook, code cell index): CellSurvey} for the cells that moved."""
    patterns = get_sanitize_patterns(SANITIZE.read_text())
    cells = {}
    for run in runs:
        for executed in sorted(Path(run).glob("*/*.ipynb")):
            stored_path = notebooks / executed.parent.name / executed.name
            stored_cells = [c for c in nbformat.read(stored_path, 4).cells if c.cell_type == "code"]
            new_cells = [c for c in nbformat.read(executed, 4).cells if c.cell_type == "code"]
            for index, (old, new) in enumerate(zip(stored_cells, new_cells)):
                old_out, new_out = _texts(old.outputs, patterns), _texts(new.outputs, patterns)
                if old_out == new_out:
                    continue
                tolerance = Tolerance.of(old.metadata)
                key = (stored_path.relative_to(notebooks), index)
                entry = cells.setdefault(key, CellSurvey(tolerance))
                comparisons = align_outputs(new_out, old_out, tolerance or Tolerance())
                refused = any(move.objection for c in comparisons for move in c.moves)
                entry.add(comparisons, refused or new_out == old_out)
    return cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="folders of executed lessons")
    parser.add_argument("--notebooks", type=Path, default=REPO_ROOT / "notebooks")
    args = parser.parse_args(argv)
    cells = survey(args.runs, args.notebooks)
    print(f"{len(cells)} cell(s) whose printed numbers moved in {len(args.runs)} run(s):")
    for (notebook, index), entry in sorted(cells.items()):
        print(f"  {notebook} code cell {index} ({entry.runs} run(s)): {entry.row()}")
    beyond = sum(entry.refused or entry.other_differs for entry in cells.values())
    print(f"{beyond} cell(s) beyond their declared tolerance")
    return 1 if beyond else 0


if __name__ == "__main__":
    sys.exit(main())
