"""Benchmark 3: execution time of every lesson notebook in full and quick mode, and in total.

Each notebook runs top to bottom in a fresh kernel (``autograder.authoring.runner``), in its own
folder, as ``make course`` runs it. Targets: every notebook within 3 minutes and the whole
course within 10 minutes in full mode.

    python -m benchmarks.notebook_times [--modes full quick] [NOTEBOOK ...]
"""
import argparse
from pathlib import Path

from autograder.authoring.runner import execute_notebook, lesson_notebooks
from benchmarks.report import format_table, warn_if_busy
from course_utils.settings import REPO_ROOT

NOTEBOOK_LIMIT_S = 180
COURSE_LIMIT_S = 600


def _name(path):
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def run(paths=None, modes=("full", "quick"), timeout=600, say=print):
    """One row per notebook with its seconds in each mode, and a final row for the course."""
    paths = [Path(p).resolve() for p in paths] if paths else lesson_notebooks()
    rows = [dict(notebook=_name(p)) for p in paths]
    totals = dict(notebook="whole course")
    for mode in modes:
        total = 0.0
        for path, row in zip(paths, rows):
            _, seconds, error = execute_notebook(path, quick=mode == "quick", timeout=timeout)
            row[mode] = seconds
            if error:
                row[f"{mode}_status"] = f"FAILED ({error[:60]})"
            total += seconds
            say(f"  {row['notebook']} ({mode}): {seconds:.1f} s"
                + (f"  FAILED: {error}" if error else ""))
        totals[mode] = total
    for row in rows:
        row["status"] = "; ".join(row.pop(f"{m}_status") for m in modes
                                  if f"{m}_status" in row) or _verdict(row.get("full"),
                                                                       NOTEBOOK_LIMIT_S)
    totals["status"] = _verdict(totals.get("full"), COURSE_LIMIT_S)
    return rows + [totals] if rows else []


def _verdict(seconds, limit):
    if seconds is None:
        return "ok"
    return f"within {limit // 60} min" if seconds <= limit else f"OVER {limit // 60} min"


def columns(modes=("full", "quick")):
    return ([("notebook", "notebook", "")] + [(m, f"{m} s", ".1f") for m in modes]
            + [("status", "full-mode target", "")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every lesson notebook")
    parser.add_argument("--modes", nargs="+", default=["full", "quick"], choices=["full", "quick"])
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    warn_if_busy()
    rows = run(args.notebooks, args.modes, args.timeout)
    if not rows:
        print("No lesson notebooks found under notebooks/")
        return rows
    print(format_table(rows, columns(args.modes)))
    return rows


if __name__ == "__main__":
    main()
