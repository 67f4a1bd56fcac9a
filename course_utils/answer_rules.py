"""What no answer cell may do, whatever its exercise: the rules every graded answer passes.

An answer computes with Python, the course's libraries and its own names. It may not reach the
interpreter (frames, ``globals()``, ``sys.modules``, IPython), evaluate strings as code, import
anything but the course's libraries and plain standard modules, leave a library through one of
its attributes (``torch.sys``), load code (pickles, TorchScript, compiled extensions), or change
an object it did not create (``torch.x = f``, ``nn.Module.forward = f``, a global hook). The
grader refuses such a cell and does not run it; the self-checks give the same hint
(:func:`answer_problem` is called on both sides).

:func:`runnable_answer` is what a graded answer cell runs: the cell without a byte-order mark and
without the magics that change nothing about its result (``%matplotlib inline``, ``%%time``).
"""
import ast
import importlib
import re
import string
import types

# Magics that only time the cell or choose where figures go: dropped before an answer is graded.
HARMLESS_MAGICS = ("%matplotlib", "%config", "%time", "%%time", "%timeit", "%%timeit", "%%capture")
# Modules an answer may import (their submodules too) and the names the lessons give them.
IMPORTABLE = frozenset({
    "torch", "torchvision", "numpy", "matplotlib", "imageio", "PIL", "sklearn", "scipy", "pandas",
    "math", "cmath", "random", "itertools", "functools", "collections", "statistics", "time",
    "warnings", "copy", "re", "logging", "dataclasses", "enum", "numbers", "fractions", "decimal",
    "heapq", "bisect", "sys", "__future__",
})
LIBRARY_NAMES = {
    "torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional", "optim": "torch.optim",
    "np": "numpy", "numpy": "numpy", "plt": "matplotlib.pyplot", "matplotlib": "matplotlib",
    "math": "math", "random": "random", "itertools": "itertools", "functools": "functools",
    "collections": "collections", "imageio": "imageio",
}
# What ``sys`` may give an answer (printing to stderr); the rest reaches other modules and frames.
SYS_ALLOWED = frozenset({"stdout", "stderr", "float_info", "maxsize", "version_info", "platform"})
# Builtins that evaluate strings, reach names or the interpreter, or read files and input.
INTERPRETER_NAMES = frozenset({
    "getattr", "setattr", "delattr", "__import__", "eval", "exec", "compile", "globals",
    "locals", "vars", "dir", "open", "input", "breakpoint", "help", "exit", "quit",
    "__builtins__", "__loader__", "__spec__", "__build_class__", "get_ipython", "In", "Out",
})
# Attributes of frames, code, generators and tracebacks: the way to another function's variables.
FRAME_ATTRIBUTES = frozenset({
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "gi_frame", "gi_code",
    "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "tb_next", "co_code", "co_consts",
    "co_names", "func_globals", "im_func",
})
# Modules that reach the interpreter: as an attribute (``warnings.sys``) they leave any library.
INTERPRETER_MODULES = frozenset({
    "sys", "os", "builtins", "importlib", "inspect", "gc", "ctypes", "types", "subprocess",
    "IPython", "marshal", "pickle", "runpy", "pydoc", "shutil", "socket", "multiprocessing",
})
# Parts of the libraries that load or run code not written in the answer, or hook into others.
CODE_LOADERS = ("torch.jit", "torch.hub", "torch.utils.cpp_extension", "torch.package",
                "torch.library", "torch.ops", "torch.overrides", "torch.fx", "torch.export",
                "torch.serialization", "torch.multiprocessing", "torch.distributed",
                "torch.utils.hooks", "torch.autograd.graph", "numpy.ctypeslib", "numpy.lib.format",
                "matplotlib.pyplot.install_repl_displayhook")
# Loading pickles runs or returns code from elsewhere: ``torch.load(..., weights_only=False)``.
UNPICKLING = {"weights_only": False, "allow_pickle": True}


def runnable_answer(source: str) -> str:
    """``source`` as a graded answer runs it: no byte-order mark, no harmless magics."""
    lines = source.lstrip("\ufeff").splitlines()
    kept = []
    for line in lines:
        word = line.strip().split(" ", 1)[0]
        if word in HARMLESS_MAGICS and word.startswith("%%"):
            continue  # a cell magic on the first line: the rest of the cell is the code
        if word in HARMLESS_MAGICS:
            rest = line.strip()[len(word):].strip()
            kept.append(rest if word in ("%time", "%timeit") else "")
            continue
        kept.append(line)
    return "\n".join(kept) + ("\n" if source.endswith("\n") else "")


def bound_names(tree) -> set:
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


def cell_level_names(source: str, guess_broken: bool = True) -> set:
    """Names a cell binds outside its functions and classes (also inside ``with``, ``if``,
    ``for`` blocks): what it leaves in the notebook's namespace. For a cell that is not valid
    Python: the names of its ``def`` and ``class`` lines (``guess_broken``), else none."""
    try:
        tree = ast.parse(runnable_answer(source))
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)\s+(\w+)", source, re.M)) if guess_broken else set()
    names, stack = set(), list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        stack.extend(ast.iter_child_nodes(node))
    return names


def _modules_by_name(tree, bound):
    """{name in the code: module path} for the libraries and what the cell imports."""
    modules = {name: path for name, path in LIBRARY_NAMES.items() if name not in bound}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname \
                    else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return modules


def _import_problem(node):
    names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or "."]
    for module in names:
        root = module.split(".")[0]
        if root == "course_utils":
            return "do not import from course_utils in this answer: the exercise is to write it yourself"
        if node.__class__ is ast.ImportFrom and node.level:
            return f"do not import `{module}` (a file next to the notebook): write the code in this cell"
        if root not in IMPORTABLE:
            return (f"do not import `{module}` in an answer: use PyTorch, NumPy, Matplotlib, "
                    "scikit-learn and plain standard modules such as math, random and itertools")
        if root == "sys" and isinstance(node, ast.ImportFrom) and \
                any(alias.name not in SYS_ALLOWED for alias in node.names):
            return "from `sys` an answer may use only stdout and stderr"
        if root == "__future__" and any(alias.name != "annotations" for alias in node.names):
            return "only `from __future__ import annotations` is allowed in an answer"
    for alias in node.names:
        name = alias.asname or alias.name.split(".")[0]
        full = alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        canonical = LIBRARY_NAMES.get(name)
        if canonical and alias.asname and full != canonical and name not in ("numpy", "math"):
            return f"`{name}` is the course's name for {canonical}: do not give it to `{full}`"
    return None


def _resolve(root_path, attrs):
    """The object at ``root_path`` then ``attrs``, walking modules only (None when unknown).

    Only the root is imported (one of :data:`IMPORTABLE`); submodules are reached as attributes."""
    if root_path.split(".")[0] not in IMPORTABLE:
        return None
    try:
        value = importlib.import_module(root_path)
    except Exception:  # noqa: BLE001 - not importable here: nothing to resolve
        return None
    for attr in attrs:
        if not isinstance(value, types.ModuleType):
            return None
        value = getattr(value, attr, None)
    return value


def _chain(node):
    """(root name, [attributes]) of ``a.b.c``, or (None, []) when the chain starts elsewhere."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.insert(0, node.attr)
        node = node.value
    return (node.id, attrs) if isinstance(node, ast.Name) else (None, attrs)


def _library_problem(node, modules):
    """A hint when an attribute chain rooted at a module leaves it or reaches a code loader."""
    root, attrs = _chain(node)
    if root is None or root not in modules:
        return None
    path = modules[root]
    if path.split(".")[0] == "sys":
        return None if not attrs or attrs[0] in SYS_ALLOWED else \
            f"`sys.{attrs[0]}` reaches the interpreter: an answer may use only sys.stdout and sys.stderr"
    package = path.split(".")[0]
    if any(attr.startswith("_") for attr in attrs):
        return None  # refused as an internal name
    for depth in range(1, len(attrs) + 1):
        dotted = ".".join([path] + attrs[:depth])
        if any(dotted == area or dotted.startswith(area + ".") for area in CODE_LOADERS):
            return f"`{root}.{'.'.join(attrs[:depth])}` loads or hooks in code that is not written in this answer"
        value = _resolve(path, attrs[:depth])
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] != package:
            return (f"`{root}.{'.'.join(attrs[:depth])}` leaves {package} for `{value.__name__}`: "
                    "use the library itself")
        if not isinstance(value, types.ModuleType):
            break
    if attrs and attrs[-1].startswith("register_") and \
            isinstance(_resolve(path, attrs[:-1]), types.ModuleType):
        return f"`{root}.{'.'.join(attrs)}` installs a hook on every module: hooks belong to your own objects"
    return None


def _format_problem(node):
    """``"{0.__globals__}".format(f)``-like: format fields that read attributes."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "format_map")):
        return None
    receiver = node.func.value
    if not (isinstance(receiver, ast.Constant) and isinstance(receiver.value, str)):
        return None if isinstance(receiver, ast.Name) and receiver.id in LIBRARY_NAMES else \
            "call `.format` on a string written in the cell (or use an f-string)"
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(receiver.value) if field]
    except ValueError:
        return None
    if any("." in field or "[" in field for field in fields):
        return "format fields may not read attributes or items (`{0.x}`): use an f-string"
    return None


def _store_problem(target, bound):
    """A hint when an assignment changes an object the cell did not create (``torch.x = f``)."""
    root = target
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    if root is target or (isinstance(root, ast.Name) and root.id in bound):
        return None
    text = ast.unparse(target)
    return (f"`{text} = ...` changes something this answer did not create: store results in "
            "your own names")


def unpickling(tree):
    """``weights_only=False``-like text when the code loads pickled objects, else None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in UNPICKLING and \
                isinstance(node.value, ast.Constant) and node.value.value is UNPICKLING[node.arg]:
            return f"{node.arg}={node.value.value}"
    return None


def answer_problem(source: str) -> str | None:
    """A hint naming the first thing in an answer cell that no answer may do, else None."""
    code = runnable_answer(source)
    stray = [line.strip() for line in code.splitlines() if line.strip()[:1] in ("%", "!")]
    if stray:
        return (f"`{stray[0][:40]}`: magics and shell commands do not run in an answer cell "
                "(only %matplotlib and %time); move it to a cell of your own")
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        return f"the answer cell is not valid Python ({error.msg}, line {error.lineno})"
    bound = bound_names(tree)
    modules = _modules_by_name(tree, bound)
    own = bound - set(modules)  # names this cell binds, other than modules
    for node in ast.walk(tree):
        hint = None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            hint = _import_problem(node)
        elif isinstance(node, ast.Name) and node.id in INTERPRETER_NAMES:
            hint = f"`{node.id}` reaches names through strings or the interpreter: write the code directly"
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_") and node.attr != "__init__":
                hint = f"`.{node.attr}` is an internal of Python or a library: an answer uses public names only"
            elif node.attr in FRAME_ATTRIBUTES:
                hint = f"`.{node.attr}` reaches another function's variables: write the code directly"
            elif node.attr in INTERPRETER_MODULES and _chain(node)[0] not in modules:
                hint = f"`{ast.unparse(node)}` reaches the interpreter's modules: use the libraries themselves"
            else:
                hint = _library_problem(node, modules)
            if hint is None and node.attr.startswith("register_") and _chain(node)[0] not in own:
                hint = f"`{ast.unparse(node)}` hooks into an object this answer did not create"
        elif isinstance(node, ast.Call):
            hint = _format_problem(node)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            hint = next(filter(None, (_store_problem(t, own) for t in targets)), None)
        if hint:
            return hint
    loading = unpickling(tree)
    if loading:
        return (f"do not load pickled objects (`{loading}`): save and load tensors and "
                "state_dicts, not the model object")
    return None
