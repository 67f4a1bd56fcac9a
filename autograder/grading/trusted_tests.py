"""Hidden tests that run in the grader, not in the student's kernel.

A hidden test is the code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` in
a graded test cell of the source notebook, written once, as ordinary Python. The grader runs it
in its own process with these names:

- ``student``: the student's kernel, as it is right after the test cell's visible part ran.
  ``student.square`` is the student's ``square``; calling it, reading attributes and indexing
  go to the kernel; plain values (numbers, strings, lists, dicts, NumPy arrays, tensors) come
  back as values, everything else (a model, an optimizer) as a remote handle.
  ``student.has("name")`` says whether a name is defined, ``student.source("name")`` is the
  source of the answer cell that defines it, ``student.module("torch.nn")`` a library module
  in the kernel (to build objects there, e.g. a loss to pass to the student's function).
- ``kind(x)``: the type name of a value or of a remote object (``"Linear"``, ``"ReLU"``).
- ``rng``: a NumPy Generator seeded from the course secret, the student, the lesson, the cell and
  the grading run: inputs the student has never seen, so forged answers must be computed.
- ``expect_own_code(name, forbidden=(), allowed=())``: fails unless the answer cell writes
  ``name`` with ``def``/``class`` from PyTorch, NumPy and Python alone (no ``course_utils``, none
  of the ``forbidden`` library names, only the ``allowed`` names of other cells), and no other
  cell the student can edit binds ``name`` or reaches names dynamically
  (:mod:`course_utils.own_code`; self-checks call the same rules).
- ``expect(condition, hint)``; ``raise TestFailed(hint)``; ``StudentError`` (what a call into
  the student's code raises when that code raised); ``np``, ``torch``, ``math``.

The student's code can only produce values; whether they are right is decided here. A test
fails with the hint of the first ``expect`` that fails, or with what the student's code raised.
"""
import builtins
import functools
import json
import math
import textwrap
from dataclasses import dataclass

import numpy as np

from autograder.grading import kernel_probe
from course_utils.own_code import borrowed_code, redefined_elsewhere

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# The names a hidden test is given (the module docstring); notebooks/ruff.toml declares them.
HIDDEN_TEST_NAMES = ("student", "rng", "expect", "expect_own_code", "kind", "TestFailed", "StudentError",
                     "np", "torch", "math")


class TestFailed(AssertionError):
    """A hidden test's verdict: the student's answer is not right (message: the hint)."""


class StudentError(TestFailed):
    """The student's code raised, or a name the test needs is not defined.

    When the student's code raised a built-in exception, the error is also an instance of
    that exception type (``except ValueError`` in a test catches the student's ValueError)."""


@functools.cache
def _student_error_type(name):
    builtin = getattr(builtins, name, None)
    if not (isinstance(builtin, type) and issubclass(builtin, Exception)) or builtin is AssertionError:
        return StudentError
    try:
        return type(f"Student{name}", (StudentError, builtin), {})
    except TypeError:  # incompatible layouts (OSError and its kind)
        return StudentError


def kind(value):
    """The type name of a plain value or of an object in the student's kernel."""
    return value._type if isinstance(value, Remote) else type(value).__name__


def expect(condition, hint):
    """Fail the hidden test with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise TestFailed(hint)


def split_hidden(source: str):
    """(visible source, hidden test source or None) of a test cell."""
    if BEGIN not in source:
        return source, None
    before, _, rest = source.partition(BEGIN)
    hidden, _, after = rest.partition(END)
    return (before.rstrip("\n") + ("\n" + after.lstrip("\n") if after.strip() else "")).strip("\n"), \
        textwrap.dedent(hidden).strip("\n")


class Remote:
    """An object that lives in the student's kernel."""

    def __init__(self, kernel, number, type_name, label):
        self._kernel, self._number, self._type, self._label = kernel, number, type_name, label

    def __repr__(self):
        return f"<student's {self._type} {self._label}>"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._kernel.request({"op": "getattr", "target": self._number, "name": name},
                                    f"{self._label}.{name}")

    def __call__(self, *args, **kwargs):
        return self._kernel.request(
            {"op": "call", "target": self._number, "args": self._kernel.encode(list(args)),
             "kwargs": self._kernel.encode(dict(kwargs))}, f"{self._label}(...)")

    def __getitem__(self, key):
        return self._kernel.request({"op": "item", "target": self._number,
                                     "key": self._kernel.encode(key)}, f"{self._label}[...]")

    def __iter__(self):
        return iter(self._kernel.request({"op": "list", "target": self._number}, f"list({self._label})"))

    def __len__(self):
        return self._kernel.request({"op": "len", "target": self._number}, f"len({self._label})")


def call_for_handle(remote, *args, **kwargs):
    """Call a remote callable and keep its result in the kernel, as a handle, even when it is
    plain data: ``call_for_handle(model.parameters)`` to build an optimizer there over the
    student's own tensors (a plain call would bring copies of them here)."""
    kernel = remote._kernel
    return kernel.request(
        {"op": "call", "target": remote._number, "args": kernel.encode(list(args)),
         "kwargs": kernel.encode(dict(kwargs)), "as_handle": True}, f"{remote._label}(...)")


class Student:
    """The student's namespace, seen from the grader through ``send(request) -> answer``."""

    def __init__(self, send, sources=None, cells=None, refused=None):
        self._send, self._sources, self._cells = send, sources or {}, list(cells or [])
        self._refused = dict(refused or {})

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._refused:
            raise StudentError(f"the answer cell that defines `{name}` was not run: {self._refused[name]}")
        answer = self._send({"op": "get", "name": name})
        if "missing" in answer:
            raise StudentError(f"`{name}` is not defined: run the cell that defines it")
        return self._decode(answer, name)

    def module(self, name):
        """A library module in the kernel (``student.module("torch.nn").MSELoss()``), found
        without the student's names, so a student's own ``nn`` cannot break a test."""
        return self.request({"op": "import", "module": name}, name)

    def has(self, name):
        return name not in self._refused and "missing" not in self._send({"op": "get", "name": name})

    def source(self, name):
        """The source of the student's cell that defines ``name`` ('' when none does)."""
        return self._sources.get(name, "")

    def own_code_problem(self, name, forbidden=(), allowed=()):
        """A hint when ``name`` is not written by hand in its answer cell, or is bound again or
        reached dynamically from another cell the student can edit (None when it is fine)."""
        source = self.source(name)
        return (borrowed_code(source, name, forbidden=forbidden, allowed=allowed)
                or redefined_elsewhere(self._cells, source, name))

    # -- plumbing used by Remote
    def encode(self, value):
        return kernel_probe.encode(value, keep=self._reference)

    @staticmethod
    def _reference(value):
        if isinstance(value, Remote):
            return value._number
        raise TypeError(f"cannot send a {type(value).__name__} to the student's kernel")

    def request(self, request, label):
        return self._decode(self._send(request), label)

    def _decode(self, answer, label):
        if "raised" in answer:
            raise _student_error_type(str(answer.get("type", "")))(f"{label} raised {answer['raised']}")
        try:
            return kernel_probe.decode(answer["value"],
                                       handle=lambda n, t: Remote(self, n, t, label))
        except (KeyError, TypeError, ValueError) as error:
            raise StudentError(f"{label} gave an answer that is not plain data ({error})") from None


@dataclass
class Verdict:
    passed: bool
    message: str = ""


def run_hidden_test(code, student, seed, name="hidden test"):
    """Run one hidden test in this process; the Verdict says whether the answer is right."""
    import torch

    def expect_own_code(name, forbidden=(), allowed=()):
        hint = student.own_code_problem(name, forbidden, allowed)
        if hint:
            raise TestFailed(hint)

    given = {"student": student, "rng": np.random.default_rng(seed), "expect": expect, "kind": kind,
             "expect_own_code": expect_own_code, "TestFailed": TestFailed, "StudentError": StudentError,
             "np": np, "torch": torch, "math": math}
    namespace = {name: given[name] for name in HIDDEN_TEST_NAMES} | {"__name__": "__hidden_test__"}
    try:
        exec(compile(code, f"<{name}>", "exec"), namespace)  # the instructor's own test code
    except TestFailed as failure:
        return Verdict(False, str(failure))
    except Exception as error:  # noqa: BLE001 - a wrong answer of an unexpected type
        return Verdict(False, f"the answer could not be checked: {type(error).__name__}: {error}")
    return Verdict(True)


def in_process_student(namespace, sources=None, cells=None, refused=None):
    """A Student whose "kernel" is the dict ``namespace`` in this process, answered by a private
    copy of the probe through the same JSON round trip: to test hidden tests without nbgrader."""
    import types

    probe = types.ModuleType("_course_probe_in_process")
    exec(compile(open(kernel_probe.__file__, encoding="utf-8").read(), "<course probe>", "exec"),
         probe.__dict__)
    probe._namespace = lambda: namespace

    def send(request):
        return json.loads(json.dumps(probe.answer(json.dumps(request))))

    if cells is None:
        cells = list(dict.fromkeys((sources or {}).values()))
    return Student(send, sources, cells, refused)


def answer_code(source, release_names, run=True):
    """The one line the kernel runs for an answer cell: the probe runs ``source`` in a namespace
    of its own (:func:`autograder.grading.kernel_probe.run_answer`), or only records it."""
    return (f"__import__('sys').modules['_course_probe'].run_answer("
            f"{json.dumps(source)}, {json.dumps(sorted(release_names))}, {run})")


def install_code():
    """Code that installs the kernel side (:mod:`autograder.grading.kernel_probe`) as ``_course_probe``."""
    source = open(kernel_probe.__file__, encoding="utf-8").read()
    return ("import sys as _s, types as _t\n"
            "_m = _t.ModuleType('_course_probe')\n"
            f"exec(compile({source!r}, '<course probe>', 'exec'), _m.__dict__)\n"
            "_s.modules['_course_probe'] = _m\n"
            "_m.protect_memory()\n"
            "_m.open_channel()\n"
            "del _s, _t, _m\n")
