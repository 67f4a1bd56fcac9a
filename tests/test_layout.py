"""Where code lives: a small shared core, one module per lesson, tooling outside the package.

The rules (docs/authoring.md, "Where code lives"): no import cycles; a lesson module imports
only the core; the core imports no lesson module and no instructor tooling; each lesson
notebook imports its own lesson module and no other.
"""
import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("course_utils", "autograder")
LESSON_MODULE = re.compile(r"^course_utils\.lessons\.l(\d\d)_\w+$")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, modules: set) -> set:
    """The project modules that ``path`` imports (absolute and relative, at any depth)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            # "from course_utils.datasets import mnist" names a module; "from .x import f" does not
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in files}
    return {module_name(p): imported_modules(p, modules) for p in files}


def find_cycle(graph: dict):
    """One import cycle as a list of modules, or None (a package importing its own submodules
    through ``__init__`` is how packages work, not a cycle)."""
    def edges(node):
        return [t for t in graph[node] if not node.startswith(t + ".")]

    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in edges(node):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


GRAPH = import_graph()


def test_the_import_graph_has_no_cycles():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"p": {"p.x"}, "p.x": {"p"}}) is None  # a package and its submodule


def _lesson_number(module):
    return module.rsplit(".", 1)[-1][:3]


def test_lesson_modules_import_only_the_core():
    lessons = [m for m in GRAPH if LESSON_MODULE.match(m)]
    assert len({_lesson_number(m) for m in lessons}) == 6
    for lesson in lessons:
        for target in GRAPH[lesson]:
            assert not LESSON_MODULE.match(target) or _lesson_number(target) == _lesson_number(lesson), \
                f"{lesson} imports another lesson: {target}"
            assert target.startswith("course_utils"), f"{lesson} imports {target}"


def test_the_core_imports_no_lesson_and_no_instructor_tooling():
    core = [m for m in GRAPH if m.startswith("course_utils") and not m.startswith("course_utils.lessons")]
    for module in core:
        for target in GRAPH[module]:
            assert not target.startswith("course_utils.lessons"), f"{module} imports {target}"
            assert not target.startswith("autograder"), f"{module} imports {target}"
    text = "\n".join(p.read_text() for p in (ROOT / "course_utils").rglob("*.py"))
    for tool in ("nbclient", "nbgrader", "nbformat"):
        assert not re.search(rf"^\s*(import|from) {tool}\b", text, re.M), f"course_utils imports {tool}"


def lesson_imports(notebook: Path) -> set:
    nb = json.loads(notebook.read_text())
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return set(re.findall(r"course_utils\.lessons\.(l\d\d_\w+)", source))


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*/*.ipynb")),
                         ids=lambda p: p.parent.name)
def test_each_lesson_imports_its_own_module_only(notebook):
    number = notebook.parent.name[:2]
    own = [p.stem for p in (ROOT / "course_utils" / "lessons").glob(f"l{number}_*.py")]
    assert own, f"lesson {number} needs a module in course_utils/lessons"
    assert lesson_imports(notebook) <= set(own), f"{notebook.name} imports {lesson_imports(notebook)}"


# ---- the grader's rooms (autograder/README.md, "Where things are") --------------------------------

ROOMS = ("sandbox", "grading", "preprocessors", "cluster", "exchange", "lab", "instructor",
         "authoring", "hidden", "mutants")
# What each room may import from the others; the foundation (course, notes, kernel_env, gpus)
# is open to all. The sandbox knows nothing of grading, as otter keeps isolation apart from
# orchestration; the cluster ships one submission's run, never a batch.
MAY_IMPORT = {
    "sandbox": set(),
    "grading": {"sandbox", "preprocessors", "cluster"},
    "preprocessors": {"grading", "sandbox"},
    "cluster": {"sandbox", "grading", "preprocessors"},
    "exchange": {"sandbox"},
    "lab": {"exchange"},
    "instructor": {"grading", "sandbox", "exchange", "cluster", "mutants"},
    "authoring": {"grading"},
    "hidden": {"grading"},
    "mutants": set(),
}
MAX_LINES = 400


def room_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "autograder" and parts[1] in ROOMS else None


def test_rooms_import_only_what_they_may():
    for module, targets in GRAPH.items():
        room = room_of(module)
        if room is None:
            continue
        for target in targets:
            other = room_of(target)
            assert other in (None, room) or other in MAY_IMPORT[room], f"{module} imports {target}"


def test_the_cluster_never_imports_the_batch_that_uses_it():
    for module, targets in GRAPH.items():
        if module.startswith(("autograder.cluster", "autograder.sandbox")):
            assert "autograder.grading.batch" not in targets, f"{module} imports the batch"


def test_no_private_name_crosses_a_module():
    for path in [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(PACKAGES)):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"


def test_the_modules_are_small_enough_to_read():
    for path in [p for pkg in ("autograder", "course_utils") for p in (ROOT / pkg).rglob("*.py")]:
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"


def test_the_layout_rules_catch_a_stray_import():
    assert room_of("autograder.sandbox.bubblewrap") == "sandbox"
    assert room_of("autograder.cli") is None
    assert "grading" not in MAY_IMPORT["sandbox"]


HIDDEN_IMPORT = re.compile(r"from (autograder\.hidden\.\w+) import (?:\(([^)]*)\)|([\w, ]+)$)", re.M)


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*/*.ipynb")),
                         ids=lambda p: p.parent.name)
def test_every_name_a_hidden_test_imports_exists(notebook):
    import importlib

    nb = json.loads(notebook.read_text())
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for module, wrapped, names in HIDDEN_IMPORT.findall(source):
        names = wrapped or names
        helpers = importlib.import_module(module)
        for name in (n.split("#")[0].strip() for n in names.replace("\n", ",").split(",")):
            if name:
                assert hasattr(helpers, name), f"{notebook.name}: {module} has no {name}"


@pytest.mark.parametrize("config", ["notebooks/ruff.toml", "tests/fixtures/notebooks/ruff.toml"])
def test_the_linter_knows_the_names_hidden_tests_are_given(config):
    import tomllib

    from autograder.grading.trusted_tests import HIDDEN_TEST_NAMES

    builtins = set(tomllib.loads((ROOT / config).read_text())["builtins"])
    assert builtins == set(HIDDEN_TEST_NAMES) - {"np", "torch", "math"}  # those three a lesson imports
