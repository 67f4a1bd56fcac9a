"""The mutants a lesson's hidden tests must fail before the lesson is released.

A lesson's catalogue is ``autograder/mutants/<lesson>.py`` (``01-loss-functions.py``), plain
Python defining:

``MISTAKES``: the lesson's named mistakes, one dict per intent::

    {"cell": "ex1-l1-loss",                  # the answer cell it replaces (grade_id)
     "intent": "squares the error",          # what the mistake is, said in one line
     "source": "def l1_loss(p, t): ...",     # the whole answer cell
     "lost": 2,                              # points its exercise's test cells lose (exactly)
     "hint": "absolute",                     # a failing test's message contains it (None: any)
     "self_check": "absolute"}               # a [FAIL] line of its self-check contains it
                                             # (None: no self-check sees it)

``EQUIVALENT`` (optional): ``{(cell, mutation): why}`` for generic mutations
(:mod:`autograder.mutants.generic`) that compute what the reference computes, so no test can
tell them apart (``("ex7-evaluate", "no-train-mode"): "evaluation never trains"``).

Besides the named mistakes, every answer cell gets the generic mutations that apply to it, and
the answer left as released with the reference written in a cell the student added. Each mutant
is judged on its own exercise: its answer cell replaced, the cells up to the exercise's last test
cell run again, and the tests of that exercise judged
(:mod:`autograder.preprocessors.mutant_trials`). A mutant is killed when one of those tests fails.
"""
import json
import runpy
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import ClearSolutions

from autograder.mutants.generic import generic_mutants, intent_of

CATALOGUES = Path(__file__).resolve().parent
IN_ADDED_CELL = "in-added-cell"
MISTAKE_KEYS = {"cell", "intent", "source", "lost", "hint", "self_check"}


class CatalogueError(ValueError):
    """A catalogue that does not fit its lesson (an unknown cell, a stale declaration)."""


def catalogue(lesson, folder=CATALOGUES):
    """(MISTAKES, EQUIVALENT) of ``<folder>/<lesson>.py``; empty when there is no such file."""
    path = Path(folder) / f"{lesson}.py"
    if not path.is_file():
        return [], {}
    names = runpy.run_path(str(path))
    mistakes, equivalent = names.get("MISTAKES", []), names.get("EQUIVALENT", {})
    for number, mistake in enumerate(mistakes, 1):
        unknown, missing = set(mistake) - MISTAKE_KEYS, {"cell", "intent", "source"} - set(mistake)
        if unknown or missing:
            raise CatalogueError(f"{path.name}: mistake {number} "
                                 f"{'has unknown keys ' + str(sorted(unknown)) if unknown else ''}"
                                 f"{'lacks ' + str(sorted(missing)) if missing else ''}")
    return mistakes, equivalent


def answer_cells(nb):
    """[(grade_id, source)] of the code answer cells of a notebook, in order."""
    return [(cell.metadata.nbgrader["grade_id"], cell.source) for cell in nb.cells
            if cell.cell_type == "code" and utils.is_solution(cell) and not utils.is_grade(cell)]


def released_stub(source):
    """What the release shows in place of an answer cell's solution."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "x"}
    return ClearSolutions().preprocess_cell(cell, {"language": "python"}, 0)[0].source


def mutants_of(source_notebook, lesson, folder=CATALOGUES):
    """Every mutant to try on the lesson, as plain dicts: ``cell``, ``name``, ``intent``,
    ``source``, ``added`` (code in a cell the student added), and the named mistakes'
    ``lost``, ``hint``, ``self_check``. Raises CatalogueError when the catalogue does not fit."""
    nb = nbformat.read(str(source_notebook), as_version=4)
    answers = dict(answer_cells(nb))
    mistakes, equivalent = catalogue(lesson, folder)
    wrong = sorted({m["cell"] for m in mistakes} - set(answers))
    if wrong:
        raise CatalogueError(f"{lesson}: the catalogue names cells that are not answer cells: {wrong}")
    trials, applied = [], set()
    for cell, reference in answers.items():
        for name, source in generic_mutants(reference).items():
            applied.add((cell, name))
            if (cell, name) not in equivalent:
                trials.append({"cell": cell, "name": name, "intent": intent_of(name), "source": source})
        trials.append({"cell": cell, "name": IN_ADDED_CELL, "added": reference, "source": released_stub(reference),
                       "intent": "the answer left as released, the reference in a cell the student added"})
        trials += [{"cell": cell, "name": f"mistake-{number}", **mistake}
                   for number, mistake in enumerate(mistakes, 1) if mistake["cell"] == cell]
    stale = sorted(f"{cell}/{name}" for cell, name in equivalent if (cell, name) not in applied)
    if stale:
        raise CatalogueError(f"{lesson}: EQUIVALENT names mutations that no longer apply: {stale}")
    return trials


def write_plan(folder, student, trials):
    """Write the plan the release check's preprocessor reads (``c.ExecuteJudgeAndTryMutants.trials``:
    try ``trials`` on ``student``'s submission) into ``folder``; returns (plan file, results file)."""
    plan, results = Path(folder) / "mutants.json", Path(folder) / "mutant-results.json"
    plan.write_text(json.dumps({"student": student, "mutants": trials, "results": str(results)}))
    return plan, results


def read_results(results, trials):
    """What each of ``trials`` got, from the results file; a mutant the run never reached (the
    reference stopped before its exercise) counts as not killed."""
    tried = json.loads(Path(results).read_text()) if Path(results).exists() else []
    return tried + [{**m, "killed": None, "error": "not tried"} for m in trials[len(tried):]]
