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

# Names an answer may use without defining them: the libraries the lessons import.
LIBRARIES = frozenset({
    "torch", "nn", "F", "optim", "np", "numpy", "math", "random", "itertools", "functools",
    "collections", "plt", "matplotlib", "imageio", "DataLoader", "TensorDataset", "Dataset",
    "random_split",
})
# Ways to reach a name without writing it, which would defeat the check.
DYNAMIC = frozenset({
    "getattr", "setattr", "delattr", "__import__", "importlib", "eval", "exec", "compile",
    "globals", "locals", "vars", "builtins", "__builtins__", "get_ipython", "__main__",
    "inspect", "gc", "ctypes", "operator", "types",
})
# ``sys`` is fine (``sys.stderr``); these of its names reach other modules' and frames' names.
SYS_ACCESS = frozenset({"modules", "_getframe", "meta_path", "path_hooks", "settrace", "setprofile"})
# Attributes that reach into the interpreter (``f.__globals__``, ``x.__class__.__subclasses__``).
DUNDER_ACCESS = frozenset({
    "__dict__", "__globals__", "__builtins__", "__subclasses__", "__code__", "__closure__",
    "__getattribute__", "__import__", "__class__", "__bases__", "__mro__", "__self__", "__func__",
    "__module__", "__loader__", "__spec__", "__setattr__", "__getattr__", "__delattr__",
})
PACKAGE = "course_utils"
# What an answer may import: the course's libraries and plain standard modules. Anything else
# (this project's packages, a file written next to the notebook, pickle) would bring in code
# that is not the student's.
IMPORTABLE = frozenset({
    "torch", "torchvision", "numpy", "matplotlib", "imageio", "PIL", "sklearn", "scipy", "pandas",
    "math", "random", "itertools", "functools", "collections", "typing", "dataclasses", "copy",
    "statistics", "string", "re", "time", "warnings", "sys", "os", "pathlib", "tempfile", "io",
})
# Loading pickles runs or returns code from elsewhere: ``torch.load(..., weights_only=False)``.
UNPICKLING = {"weights_only": False, "allow_pickle": True}


def _dynamic_access(node):
    """The word by which ``node`` reaches names dynamically, or None. Methods that merely share
    a name with a builtin (``model.eval()``, ``torch.compile``) are fine."""
    if isinstance(node, ast.Name) and node.id in DYNAMIC:
        return node.id
    if isinstance(node, ast.alias) and node.name.split(".")[0] in DYNAMIC:
        return node.name
    if isinstance(node, ast.Attribute) and node.attr in DUNDER_ACCESS:
        return node.attr
    if isinstance(node, ast.Attribute) and node.attr in SYS_ACCESS and \
            isinstance(node.value, ast.Name) and node.value.id == "sys":
        return f"sys.{node.attr}"
    if isinstance(node, ast.ImportFrom) and node.module == "sys" and \
            any(alias.name in SYS_ACCESS for alias in node.names):
        return "sys"
    return None


def _unpickling(tree):
    """``weights_only=False``-like text when the code loads pickled objects, else None: a pickle
    can bring in functions and classes written elsewhere."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in UNPICKLING and \
                isinstance(node.value, ast.Constant) and node.value.value is UNPICKLING[node.arg]:
            return f"{node.arg}={node.value.value}"
    return None


def _module_patch(tree):
    """``torch.x = f``-like assignments (a value that is not a constant stored on a module or a
    library class), by which another cell could hand an answer code it did not write: the
    target's text, or None."""
    modules = LIBRARIES | {(alias.asname or alias.name).split(".")[0]
                           for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                           for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None or isinstance(node.value, ast.Constant):
                continue
            for target in targets:
                root = target
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if target is not root and isinstance(target, ast.Attribute) and \
                        isinstance(root, ast.Name) and root.id in modules:
                    return ast.unparse(target)
    return None


def _foreign_import(tree):
    """The first module the code imports from outside :data:`IMPORTABLE`, or None."""
    for module in _imported_modules(tree):
        if module.split(".")[0] not in IMPORTABLE:
            return module or "."
    return None


def _defined_names(tree):
    """Every name the code binds anywhere (assignments, parameters, imports, defs, loops, ...)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""


def top_level_names(source):
    """Names a cell defines at top level (``def``, ``class``, ``name = ...``, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def borrowed_code(source, name, *, forbidden=(), allowed=()):
    """A hint when ``source`` (the answer cell) does not write ``name`` itself, else None.

    ``forbidden``: library names the exercise asks to write by hand (``"l1_loss"``,
    ``"L1Loss"``), refused wherever they appear in the cell. ``allowed``: names from outside
    the cell the answer may use (earlier exercises, the lesson's data)."""
    if not source.strip():
        return f"write `{name}` in its answer cell (the cell below the exercise)"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"the answer cell is not valid Python ({error.msg}, line {error.lineno})"
    defs = [node for node in tree.body if isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name]
    if not defs:
        return (f"define `{name}` with `def` or `class` in the answer cell and write its body "
                "yourself; `name = something_else` reuses code that is not yours")
    foreign = _foreign_import(tree)
    if foreign and foreign.split(".")[0] == PACKAGE:
        return f"do not import from {PACKAGE} in this answer: the exercise is to write it yourself"
    if foreign:
        return (f"do not import `{foreign}` in this answer: import only PyTorch, NumPy, Matplotlib, "
                "imageio, scikit-learn or plain standard modules, and write the rest yourself")
    words = [node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
             else node.name.split(".")[0] if isinstance(node, ast.alias) else None
             for node in ast.walk(tree)]
    for node in ast.walk(tree):
        word = _dynamic_access(node)
        if word:
            return (f"write the code directly: `{word}` (reaching names by strings or through the "
                    "interpreter) is not allowed in this answer")
    unpickling = _unpickling(tree)
    if unpickling:
        return (f"do not load pickled objects (`{unpickling}`): save and load tensors and state_dicts, "
                "not the model object, and write the rest yourself")
    for word in words:
        if word in forbidden:
            return f"do not use `{word}` here: this exercise asks you to write it by hand"
    known = _defined_names(tree) | set(dir(builtins)) | LIBRARIES | set(allowed)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known:
            usable = ", ".join(sorted(set(allowed))) or "none"
            return (f"`{node.id}` comes from outside this answer cell: write `{name}` with "
                    f"PyTorch, NumPy and Python only (names from other cells you may use: {usable})")
    return None


def redefined_elsewhere(cells, answer_source, name):
    """A hint when a cell other than the answer cell binds ``name`` or reaches names dynamically
    (``globals()``, ``setattr``, ``exec``, ``sys.modules``, ...), else None.

    ``cells``: the sources of the cells a student can edit (answer cells and added cells). What
    they import does not matter: an answer may only use the names of its own cell."""
    for source in cells:
        if source == answer_source:
            continue
        if name in top_level_names(source):
            return f"`{name}` is defined again in another cell: keep only the answer cell's `{name}`"
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        if any(_dynamic_access(n) for n in ast.walk(tree)):
            return ("another cell you wrote reaches names dynamically (getattr, globals, exec, "
                    "sys.modules, ...): remove it, the graded answers must be your own code")
        patched = _module_patch(tree)
        if patched:
            return (f"another cell you wrote stores code on a library (`{patched} = ...`): remove it, "
                    "the graded answers must be your own code")
    return None


def diagnose_own_code(name, *, forbidden=(), allowed=()):
    """Self-check version of :func:`borrowed_code`: on the last cell this kernel ran that
    defines ``name`` (None outside IPython, where there is no cell to read)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    cells = [source for source in shell.history_manager.input_hist_raw[1:]
             if name in top_level_names(source)]
    if not cells:
        return None
    return borrowed_code(cells[-1], name, forbidden=forbidden, allowed=allowed)
