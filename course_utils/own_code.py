"""Is an answer the student's own code, or borrowed from a library or another cell?

An exercise that asks for a function or a class written by hand is answered by a ``def`` or
``class`` in its answer cell that uses only the cell's own names, Python's builtins and the
plain libraries (``torch``, ``nn``, ``F``, ``np``, ...). :func:`borrowed_code` says what breaks
that rule, as a hint; the self-checks call it through :func:`diagnose_own_code` on the cell the
kernel ran, and the grader calls it on the submitted notebook (``expect_own_code`` in hidden
tests), so both give the same verdict.
"""
import ast
import builtins
import re

from .answer_rules import answer_problem, bound_names, cell_level_names, runnable_answer
from .by_hand import BASICS, BY_HAND

# Names an answer may use without defining them: the libraries the lessons import.
LIBRARIES = frozenset({
    "torch", "nn", "F", "optim", "np", "numpy", "math", "random", "itertools", "functools",
    "collections", "plt", "matplotlib", "imageio", "DataLoader", "TensorDataset", "Dataset",
    "random_split",
})
# Builtins an operation allow-list always permits: plain Python, no library behind them.
PLAIN_BUILTINS = frozenset({
    "len", "range", "int", "float", "bool", "str", "list", "tuple", "dict", "set", "zip",
    "enumerate", "min", "max", "abs", "sum", "round", "isinstance", "print", "sorted", "reversed",
    "any", "all", "super", "None", "True", "False", "self",
}) | {name for name, value in vars(builtins).items()  # raising an error is plain Python too
      if isinstance(value, type) and issubclass(value, BaseException)}


def top_level_names(source):
    """Names a cell defines (``def``, ``class``, ``name = ...``, imports; none when it is not
    valid Python): :func:`course_utils.answer_rules.cell_level_names`."""
    return cell_level_names(source, guess_broken=False)


def operations_outside(tree, ops):
    """The first attribute or builtin the code uses that ``ops`` does not list, or None.

    ``ops`` is an exercise's allow-list (``"abs"``, ``"mean"``): library roots (``torch``) and
    plain builtins are free, what is reached through them is not."""
    allowed = set(ops)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr not in allowed and node.attr != "__init__":
            return node.attr
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in dir(builtins) \
                and node.id not in allowed and node.id not in PLAIN_BUILTINS:
            return node.id
    return None


def borrowed_code(source, name, *, forbidden=(), allowed=(), ops=None):
    """A hint when ``source`` (the answer cell) does not write ``name`` itself, else None.

    Every answer first passes :func:`course_utils.answer_rules.answer_problem`. ``forbidden``:
    library names refused wherever they appear in the cell. ``allowed``: names from outside the
    cell the answer may use (earlier exercises, the lesson's data). ``ops``: for an exercise
    written by hand, the operations it may use (an allow-list; by default
    :data:`course_utils.by_hand.BY_HAND` of ``name``); anything else is refused."""
    if not source.strip():
        return f"write `{name}` in its answer cell (the cell below the exercise)"
    problem = answer_problem(source)
    if problem:
        return problem
    tree = ast.parse(runnable_answer(source))
    defs = [node for node in tree.body if isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name]
    if not defs:
        return (f"define `{name}` with `def` or `class` in the answer cell and write its body "
                "yourself; `name = something_else` reuses code that is not yours")
    words = [node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
             else node.name.split(".")[0] if isinstance(node, ast.alias) else None
             for node in ast.walk(tree)]
    for word in words:
        if word in forbidden:
            return f"do not use `{word}` here: this exercise asks you to write it by hand"
    own_names = bound_names(tree)
    known = own_names | set(dir(builtins)) | LIBRARIES | set(allowed)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known:
            usable = ", ".join(sorted(set(allowed))) or "none"
            return (f"`{node.id}` comes from outside this answer cell: write `{name}` with "
                    f"PyTorch, NumPy and Python only (names from other cells you may use: {usable})")
    ops = BY_HAND.get(name) if ops is None else ops
    outside = operations_outside(tree, ops) if ops is not None else None
    if outside:
        specific = sorted(set(ops) - set(BASICS))
        return (f"`{outside}` is not one of the operations this exercise allows: write `{name}` "
                f"with {', '.join(specific)}, operators and the tensor basics "
                "(course_utils.by_hand.BASICS: shapes, dtypes, creating and comparing)")
    return None


def redefined_elsewhere(cells, answer_source, name):
    """A hint when another answer cell binds ``name`` too, else None (``cells``: the answer
    cells' sources; cells a student adds never run when grading)."""
    for source in cells:
        if source != answer_source and name in top_level_names(source):
            return f"`{name}` is defined again in another cell: keep only the answer cell's `{name}`"
    return None


def _defines_with_def(source, name):
    """Whether a cell defines ``name`` with ``def`` or ``class`` at its top level."""
    try:
        tree = ast.parse(runnable_answer(source))
    except SyntaxError:
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name
               for node in tree.body)


def _cell_defining(name, with_def=False):
    """The source of the last cell this kernel ran that defines ``name`` (``with_def``: with
    ``def`` or ``class``); None outside IPython, where there is no cell to read, or when no cell
    defines it."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    cells = [source for source in shell.history_manager.input_hist_raw[1:] if name in top_level_names(source)
             and (not with_def or _defines_with_def(source, name))]
    return cells[-1] if cells else None


def diagnose_own_code(name, *, forbidden=(), allowed=(), ops=None):
    """Self-check version of :func:`borrowed_code`: on the last cell this kernel ran that
    defines ``name``."""
    cell = _cell_defining(name)
    return None if cell is None else borrowed_code(cell, name, forbidden=forbidden, allowed=allowed, ops=ops)


def diagnose_answer_rules(label):
    """The answer rules' hint (:func:`course_utils.answer_rules.answer_problem`) for the cells
    that write, with ``def`` or ``class``, the names a self-check's ``label`` names after its
    colon ("Exercise 4: CNN"), or None: every self-check says what grading would refuse, whether
    or not it checks more."""
    for name in re.findall(r"[A-Za-z_]\w*", label.partition(":")[2]):
        cell = _cell_defining(name, with_def=True)
        if cell is not None and (problem := answer_problem(cell)):
            return problem
    return None
