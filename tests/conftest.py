"""Test-wide settings.

Grading tests execute lesson notebooks many times, so they run them in quick mode; nbval
compares notebooks with their stored full-mode outputs, so it must not inherit quick mode.
"""
import os

import pytest


@pytest.fixture(autouse=True, scope="module")
def quick_mode_for_grading(request):
    """Set COURSE_QUICK=1 while an autograder test module runs (kernels inherit it)."""
    module = getattr(request, "module", None)
    if module is None or not module.__name__.rpartition(".")[2].startswith("test_autograder"):
        yield
        return
    saved = os.environ.get("COURSE_QUICK")
    os.environ["COURSE_QUICK"] = "1"
    yield
    if saved is None:
        os.environ.pop("COURSE_QUICK", None)
    else:
        os.environ["COURSE_QUICK"] = saved

