"""Execute lesson notebooks top to bottom in fresh kernels and report how long each took.

    python -m autograder.authoring.runner                       # every lesson, full mode, into build/executed
    python -m autograder.authoring.runner --quick               # quick mode (COURSE_QUICK=1)
    python -m autograder.authoring.runner --in-place NB.ipynb   # refresh a notebook's stored outputs
    python -m autograder.authoring.runner --native-kernels --output-dir DIR   # this CPU's own kernels

Progress bars are switched off (COURSE_PROGRESS=0) and the CPU kernels pinned
(``kernel_env.REFERENCE_CPU_KERNELS``) so stored outputs are repeatable.
"""
import argparse
import os
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import nbformat
from jupyter_core.paths import jupyter_runtime_dir
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets.config import Config

from autograder.grading.trusted_tests import split_hidden
from autograder.kernel_env import (
    own_user_state,
    pin_reference_kernels,
    share_cores,
    without_reference_kernels,
)
from course_utils.settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"


def lesson_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    """Every lesson's source notebook, in lesson order."""
    return sorted(p for p in root.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@contextmanager
def _environment(quick: bool, reference_kernels: bool = True):
    saved = dict(os.environ)
    os.environ["COURSE_PROGRESS"] = "0"
    share_cores()  # kernels sharing cores must not spin
    if reference_kernels:
        pin_reference_kernels()  # the stored outputs were computed with these CPU kernels
    else:
        native = without_reference_kernels()
        os.environ.clear()
        os.environ.update(native)
    own_user_state(REPO_ROOT / "build" / "user-state")  # not the user's matplotlib cache
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    else:
        os.environ.pop("COURSE_QUICK", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _hidden_tests_left_out(nb):
    """Run only the visible part of test cells (hidden tests are grader code), then put the
    hidden tests back so an in-place refresh keeps them."""
    full = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            visible, hidden = split_hidden(cell.source)
            if hidden is not None:
                full[index], cell.source = cell.source, visible
    try:
        yield
    finally:
        for index, source in full.items():
            nb.cells[index].source = source


def execute_notebook(path: Path, quick: bool = False, timeout: int = 600,
                     reference_kernels: bool = True):
    """Run ``path`` in a fresh kernel in its own folder; return (notebook, seconds, error).

    The visible part of each test cell runs; hidden tests run in the grader, not here. The
    kernel computes with the reference CPU kernels, or with the machine's own ones."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - not JSON, not a notebook
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return None, 0.0, f"cannot read notebook: {type(error).__name__} {first_line}"
    start = time.perf_counter()
    error = None
    with _environment(quick, reference_kernels), _hidden_tests_left_out(nb):
        # a local kernel on IPC sockets (<ip>-<port> files): no TCP port, and no warning about
        # unencrypted TCP printed for every lesson
        sockets = os.path.join(jupyter_runtime_dir(), f"runner-{uuid.uuid4().hex[:12]}")
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                config=Config(KernelManager={"transport": "ipc", "ip": sockets}),
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except CellExecutionError as failure:
            error = f"{failure.ename}: {failure.evalue}"
        except (CellTimeoutError, DeadKernelError) as failure:
            error = f"{type(failure).__name__}: {failure}"
    return nb, time.perf_counter() - start, error


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson")
    parser.add_argument("--quick", action="store_true", help="quick mode (COURSE_QUICK=1)")
    parser.add_argument("--in-place", action="store_true", help="overwrite the notebooks")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT / "build" / "executed")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--native-kernels", action="store_true",
                        help="compute with this CPU's own kernels, not the reference ones the "
                             "stored outputs were made with (see make tolerance-survey)")
    args = parser.parse_args(argv)
    if args.in_place and args.native_kernels:
        parser.error("stored outputs are made with the reference kernels: --in-place and "
                     "--native-kernels do not go together")
    paths = args.notebooks or lesson_notebooks()
    if not paths:
        print("No lesson notebooks found under notebooks/")
        return 0
    mode = "quick" if args.quick else "full"
    failures, total = 0, 0.0
    kernels = "this CPU's own kernels" if args.native_kernels else "the reference CPU kernels"
    print(f"Executing {len(paths)} notebook(s) in {mode} mode with {kernels}")
    for path in paths:
        nb, seconds, error = execute_notebook(path, args.quick, args.timeout,
                                              reference_kernels=not args.native_kernels)
        total += seconds
        if nb is not None and error is None:
            target = path if args.in_place else args.output_dir / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
        status = "ok" if error is None else f"FAILED: {error}"
        failures += error is not None
        print(f"  {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}"
              f"  {seconds:6.1f} s  {status}", flush=True)
    print(f"Total {total:.1f} s, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
