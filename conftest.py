"""Repository-wide pytest hooks (the notebook regression tests are collected outside tests/)."""
import os
import tempfile

import pytest

from autograder.kernel_env import own_user_state, pin_reference_kernels, share_cores
from autograder.trusted_tests import split_hidden

# nbval's kernels inherit this process's environment, as the runner's do: compute with the CPU
# kernels the stored outputs were made with, whatever this machine's CPU, and let idle OpenMP
# threads sleep (pytest-xdist runs kernels side by side; spinning made them 10x slower). The
# thread count stays torch's own, which the stored outputs were computed with.
pin_reference_kernels()
share_cores()
# matplotlib's font cache, IPython's profile and Jupyter's folders: the test run's own, fresh
# each run, never the user's (a stale font cache printed findfont warnings into stored outputs)
own_user_state(tempfile.mkdtemp(prefix="course-test-home-"))


def _official_mnist_configured() -> bool:
    folder = os.environ.get("COURSE_MNIST_DIR")
    return bool(folder) and os.path.isdir(folder)


def pytest_collection_modifyitems(config, items):
    """nbval runs the visible part of test cells only: a hidden test is grader code that runs
    outside the kernel (autograder/trusted_tests.py), as in the runner that stored the outputs.

    Lesson 5's stored outputs were made with the official MNIST test set: without it
    (no ../shared/data, no COURSE_MNIST_DIR) its regression test cannot compare, so it skips."""
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and getattr(cell, "cell_type", None) == "code":
            cell.source = split_hidden(cell.source)[0]
    if _official_mnist_configured():
        return
    skip = pytest.mark.skip(reason="official MNIST test set not configured (COURSE_MNIST_DIR)")
    for item in items:
        if "05-mnist" in str(item.fspath) and str(item.fspath).endswith(".ipynb"):
            item.add_marker(skip)
