"""Repository-wide pytest hooks (the notebook regression tests are collected outside tests/)."""
import os
import tempfile

import pytest

from autograder.kernel_env import own_user_state, pin_reference_kernels, share_cores

# The notebook regression run: nbval with the tolerances that cells declare, hidden tests left
# to the grader (autograder/authoring/nbval_tolerant.py).
pytest_plugins = ("autograder.authoring.nbval_tolerant",)

# nbval's kernels inherit this process's environment, as the runner's do: compute with the CPU
# kernels the stored outputs were made with, so that a run on one machine repeats itself. Each
# pytest-xdist worker's kernels get that worker's share of the cores, and idle OpenMP threads
# sleep: two workers' kernels spinning on all cores made a scikit-learn cell 10x slower. Another
# CPU or thread count computes other last digits: cells that print results of training declare
# how far their numbers may move (docs/authoring.md).
pin_reference_kernels()
share_cores(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))
# matplotlib's font cache, IPython's profile and Jupyter's folders: the test run's own, fresh
# each run, never the user's (a stale font cache printed findfont warnings into stored outputs)
own_user_state(tempfile.mkdtemp(prefix="course-test-home-"))


def _official_mnist_configured() -> bool:
    folder = os.environ.get("COURSE_MNIST_DIR")
    return bool(folder) and os.path.isdir(folder)


def pytest_collection_modifyitems(config, items):
    """Lesson 5's stored outputs were made with the official MNIST test set: without it
    (no ../shared/data, no COURSE_MNIST_DIR) its regression test cannot compare, so it skips."""
    if _official_mnist_configured():
        return
    skip = pytest.mark.skip(reason="official MNIST test set not configured (COURSE_MNIST_DIR)")
    for item in items:
        if "05-mnist" in str(item.fspath) and str(item.fspath).endswith(".ipynb"):
            item.add_marker(skip)
