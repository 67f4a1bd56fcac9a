"""Generic mutations of a reference answer: the mistakes any exercise of their kind can hide.

Each mutation takes the source of an answer cell and returns its mutants as ``{name: source}``
(none when the answer has nothing it applies to). Names are stable, so that a lesson's catalogue
can declare one of them equivalent to the reference (``autograder/mutants/__init__.py``).
"""
import ast
import copy

NONLINEAR_MODULES = {"ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU", "ELU", "SELU", "Softplus",
                     "SiLU", "Mish", "Hardtanh", "PReLU"}
NONLINEAR_FUNCTIONS = {"relu", "tanh", "sigmoid", "leaky_relu", "gelu", "elu", "selu", "softplus",
                       "silu", "mish"}


def _functions(tree):
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def _unparse(tree, original):
    source = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    return None if ast.dump(ast.parse(source)) == ast.dump(ast.parse(original)) else source


def _with_bodies(source, body_of):
    """The source with each function's body replaced by ``body_of(function)`` (None: kept)."""
    tree = ast.parse(source)
    for function in _functions(tree):
        body = body_of(function)
        if body is not None:
            function.body = ast.parse(body).body
    return _unparse(tree, source)


def returns_constant(source):
    """Every function returns 0 (``__init__`` is left alone)."""
    return _with_bodies(source, lambda f: None if f.name == "__init__" else "return 0")


def returns_input(source):
    """Every function returns its first argument (a method: its first after ``self``)."""
    def body(function):
        names = [a.arg for a in function.args.posonlyargs + function.args.args]
        names = names[1:] if names[:1] == ["self"] else names
        return None if function.name == "__init__" or not names else f"return {names[0]}"
    return _with_bodies(source, body)


class _DropNonlinearity(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in NONLINEAR_MODULES:  # nn.ReLU() -> nn.Identity()
            return ast.Call(func=ast.Attribute(value=ast.Name("nn", ast.Load()), attr="Identity",
                                               ctx=ast.Load()), args=[], keywords=[])
        if name in NONLINEAR_FUNCTIONS and node.args:  # torch.relu(x) -> x
            return node.args[0]
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in NONLINEAR_MODULES:  # a class passed on: nn.Sigmoid -> nn.Identity
            return ast.Attribute(value=ast.Name("nn", ast.Load()), attr="Identity", ctx=ast.Load())
        return node


def without_nonlinearity(source):
    """Every activation module becomes ``nn.Identity()``, every activation function its input."""
    tree = _DropNonlinearity().visit(ast.parse(source))
    return _unparse(tree, source)


def _without_calls(source, method):
    """The source without the statements that only call ``<anything>.<method>()``."""
    tree = ast.parse(source)
    changed = False
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            kept = [stmt for stmt in body if not (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == method)]
            if len(kept) != len(body):
                changed = True
                setattr(node, field, kept or [ast.Pass()])
    return _unparse(tree, source) if changed else None


def without_no_grad(source):
    """``with torch.no_grad():`` blocks run with gradients."""
    tree = ast.parse(source)
    changed = False
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "attr", "") == "no_grad"
                for item in node.items):
            node.items = [ast.withitem(context_expr=ast.Call(
                func=ast.Attribute(value=ast.Name("torch", ast.Load()), attr="enable_grad", ctx=ast.Load()),
                args=[], keywords=[]))]
            changed = True
    return _unparse(tree, source) if changed else None


def _layer_calls(tree):
    """The calls ``self.<layer>(y)`` in the ``forward`` methods of a tree, in order."""
    return [node for function in _functions(tree) if function.name == "forward"
            for node in ast.walk(function) if isinstance(node, ast.Call) and node.args
            and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"]


def skipped_layers(source):
    """In ``forward``, each call ``self.<layer>(y)`` replaced by ``y``, one mutant per call."""
    tree = ast.parse(source)
    mutants = {}
    for number, call in enumerate(_layer_calls(tree)):
        mutated = copy.deepcopy(tree)
        target = _layer_calls(mutated)[number]
        for parent in ast.walk(mutated):
            for field, value in ast.iter_fields(parent):
                if value is target:
                    setattr(parent, field, target.args[0])
                elif isinstance(value, list) and target in value:
                    value[value.index(target)] = target.args[0]
        if (text := _unparse(mutated, source)) is not None:
            mutants[f"skip-layer-{call.func.attr}"] = text
    return mutants


MUTATIONS = {
    "returns-constant": returns_constant,
    "returns-input": returns_input,
    "no-nonlinearity": without_nonlinearity,
    "no-zero-grad": lambda source: _without_calls(source, "zero_grad"),
    "no-backward": lambda source: _without_calls(source, "backward"),
    "no-step": lambda source: _without_calls(source, "step"),
    "no-eval": lambda source: _without_calls(source, "eval"),
    "no-train-mode": lambda source: _without_calls(source, "train"),
    "no-no-grad": without_no_grad,
}
INTENTS = {
    "returns-constant": "every function returns a constant",
    "returns-input": "every function returns its input",
    "no-nonlinearity": "the nonlinearity dropped",
    "no-zero-grad": "optimizer.zero_grad() skipped",
    "no-backward": "loss.backward() skipped",
    "no-step": "optimizer.step() skipped",
    "no-eval": "model.eval() skipped",
    "no-train-mode": "model.train() skipped",
    "no-no-grad": "torch.no_grad() left out",
    "skip-layer": "a layer forward never uses",
}


def generic_mutants(source):
    """{name: source} of every generic mutation that applies to the answer ``source``."""
    try:
        ast.parse(source)
    except SyntaxError:
        return {}
    mutants = {}
    for name, mutate in MUTATIONS.items():
        if (text := mutate(source)) is not None:
            mutants[name] = text
    mutants.update(skipped_layers(source))
    unique = {}
    for name, text in mutants.items():  # two mutations that give one program are tried once
        unique.setdefault(text, name)
    return {name: text for text, name in unique.items()}


def intent_of(name):
    """What a generic mutation does, in words (``skip-layer-features``: which layer)."""
    if name.startswith("skip-layer-"):
        return f"{INTENTS['skip-layer']}: {name[len('skip-layer-'):]}"
    return INTENTS.get(name, name)
