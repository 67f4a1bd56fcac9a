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
import base64
import json
import sys

MIME = "application/x-course-probe+json"
_NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex
_handles = {}


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


def handle(message):
    """Answer one JSON request on the display channel (called by the grader, once per request)."""
    from IPython.display import publish_display_data

    try:
        answer = _answer(json.loads(message))
    except BaseException as error:  # noqa: BLE001 - the student's code raised: that is an answer too
        answer = {"raised": f"{type(error).__name__}: {error}"[:2000], "type": type(error).__name__}
    publish_display_data({MIME: answer})
