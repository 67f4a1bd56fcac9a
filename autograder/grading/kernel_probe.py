"""The one piece of grading code that runs inside the student's kernel: it answers requests.

The trusted grader never sends test code into the sandbox. It installs this module (its
source text, executed as the module ``_course_probe``) and then sends requests made of names
and plain data only: "the value of ``square``", "call it with 4", "the attribute ``weight``
of handle 3". Answers are plain data too (numbers, strings, lists, dicts, arrays and tensors
as raw bytes with dtype and shape): never pickles, so nothing the kernel returns can run code
in the grader. Objects that are not plain data (a model, a function) stay in the kernel and
come back as handles.

The module needs only the standard library (numpy and torch when the kernel has them). The
grader imports it too, for :func:`encode` and :func:`decode`, so both sides share one codec.
"""
import ast
import base64
import json
import linecache
import sys

CHANNEL = "course-probe"  # the comm target the grader's requests arrive on
_NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex
_handles = {}
_answer_names = set()  # what the answer cells that ran so far defined


class ProbeError(ValueError):
    """A request or an answer that is not well-formed plain data."""


def _array_payload(array):
    import numpy as np

    array = np.asarray(array)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"arrays of dtype {array.dtype} are not plain data")
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def _module_of(value):
    return type(value).__module__.split(".")[0]


def encode(value, keep=None, depth=0):
    """``value`` as JSON-ready plain data; other objects go through ``keep`` (-> handle)."""
    if depth > 50:
        raise ProbeError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 63 else {"__bigint__": str(value)}
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) \
            else {"__float__": repr(value)}
    if isinstance(value, (list, tuple)):
        items = [encode(v, keep, depth + 1) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, encode(v, keep, depth + 1)] for k, v in value.items()]}
    module = _module_of(value)
    if module == "numpy" and hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in _NUMERIC_KINDS:
        return {"__ndarray__": _array_payload(value)}
    if module == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            return {"__tensor__": _array_payload(value.detach().cpu().resolve_conj().numpy())}
        if isinstance(value, (torch.dtype, torch.device, torch.Size)):
            return encode(list(value) if isinstance(value, torch.Size) else str(value), keep, depth)
    if keep is None:
        raise ProbeError(f"a {type(value).__name__} is not plain data")
    return {"__handle__": keep(value), "type": type(value).__name__}


def decode(data, handle=None):
    """The plain value of :func:`encode`'s output; ``handle(id, type)`` rebuilds handles."""
    if isinstance(data, list):
        return [decode(v, handle) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 or "__handle__" in data:
        key = next(iter(data))
        if key == "__tuple__":
            return tuple(decode(v, handle) for v in data[key])
        if key == "__dict__":
            return {str(k): decode(v, handle) for k, v in data[key]}
        if key in ("__ndarray__", "__tensor__"):
            return _decode_array(data[key], tensor=key == "__tensor__")
        if key == "__bigint__":
            return int(data[key])
        if key == "__float__":
            return float(data[key])
        if key == "__handle__" and handle is not None:
            return handle(int(data["__handle__"]), str(data.get("type", "")))
    raise ProbeError(f"not plain data: {str(data)[:80]}")


def _decode_array(payload, tensor):
    import numpy as np

    dtype = np.dtype(payload["dtype"])
    if dtype.kind not in _NUMERIC_KINDS:
        raise ProbeError(f"dtype {dtype} is not plain data")
    shape = tuple(int(n) for n in payload["shape"])
    array = np.frombuffer(base64.b64decode(payload["data"]), dtype=dtype).reshape(shape).copy()
    if tensor:
        import torch

        return torch.from_numpy(array)
    return array


# ---- the kernel side -------------------------------------------------------------------------

def _keep(value):
    _handles[len(_handles) + 1] = value
    return len(_handles)


def _resolve(data):
    """Decode request arguments, turning handle references back into kernel objects."""
    return decode(data, handle=lambda number, _type: _handles[number])


def _namespace():
    shell = sys.modules["IPython"].get_ipython()
    return shell.user_ns


def _answer(request):
    op = request.get("op")
    if op == "get":
        name = request["name"]
        if name not in _namespace():
            return {"missing": name}
        value = _namespace()[name]
    elif op == "import":
        import importlib

        value = importlib.import_module(request["module"])
    elif op == "getattr":
        value = getattr(_handles[request["target"]], request["name"])
    elif op == "call":
        target = _handles[request["target"]]
        value = target(*_resolve(request.get("args", [])), **_resolve(request.get("kwargs", {"__dict__": []})))
        if type(value).__name__ in ("generator", "map", "filter", "zip", "dict_values", "dict_items",
                                    "dict_keys"):
            value = list(value)
    elif op == "item":
        value = _handles[request["target"]][_resolve(request["key"])]
    elif op == "list":
        value = list(_handles[request["target"]])
    elif op == "len":
        value = len(_handles[request["target"]])
    else:
        raise ProbeError(f"unknown request {op!r}")
    if request.get("as_handle"):
        return {"value": {"__handle__": _keep(value), "type": type(value).__name__}}
    return {"value": encode(value, keep=_keep)}


def protect_memory():
    """Make this process non-dumpable: its /proc/self/mem, environ and fd then belong to root
    and mode 0400, so code running as the sandbox's user cannot read the kernel's memory (where
    the grader's requests pass) through a file. Linux only; elsewhere nothing happens."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def run_answer(source, release_names, run=True):
    """Run one answer cell in a namespace of its own (called by the grader, once per answer;
    ``run=False`` for a refused answer: its source is only recorded for the self-checks).

    The answer sees the release's names and what earlier answers defined, never the rest of
    the kernel (IPython's names, this module). What it defines goes back into the notebook's
    namespace, except the release's own names: an answer cannot rebind ``torch`` or ``X_train``
    for the cells after it. The self-checks read the answer's source from the history."""
    shell = sys.modules["IPython"].get_ipython()
    notebook = shell.user_ns
    history = shell.history_manager
    if history.input_hist_raw:
        history.input_hist_raw[-1] = history.input_hist_parsed[-1] = source
    if not run:
        return
    release = set(release_names)
    own = {name: notebook[name] for name in release | _answer_names if name in notebook}
    own.update(__name__="__main__", __builtins__=notebook["__builtins__"])
    filename = f"<your answer {len(_answer_names)}-{hash(source) & 0xffffff:x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # inspect reads it
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    try:
        exec(compile(tree, filename, "exec"), own)
        value = None if last is None else \
            eval(compile(ast.Expression(last.value), filename, "eval"), own)
    finally:
        for name, defined in own.items():
            if name not in release and not name.startswith("__"):
                notebook[name] = defined
                _answer_names.add(name)
    if value is not None:
        shell.displayhook(value)


def answer(message):
    """The answer to one JSON request: plain data (the student's code raising is an answer too)."""
    try:
        return _answer(json.loads(message))
    except BaseException as error:  # noqa: BLE001 - the student's code raised: that is an answer too
        return {"raised": f"{type(error).__name__}: {error}"[:2000], "type": type(error).__name__}


def _answer_closing_new_figures(message):
    """:func:`answer`, then close the figures the request made, as a cell's end would."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = set(pyplot.get_fignums()) if pyplot else set()
    try:
        return answer(message)
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        for number in set(pyplot.get_fignums()) - before if pyplot else ():
            pyplot.close(number)


def open_channel():
    """Answer the grader's requests on a comm (target CHANNEL): a comm message skips IPython's
    cell machinery, so a request costs about a third of an executed line. False without comms."""
    shell = sys.modules["IPython"].get_ipython()
    manager = getattr(getattr(shell, "kernel", None), "comm_manager", None)
    if manager is None:
        return False

    def opened(comm, _open_message):
        comm.on_msg(lambda msg: comm.send({"answer": _answer_closing_new_figures(msg["content"]["data"]["request"])}))

    manager.register_target(CHANNEL, opened)
    return True
