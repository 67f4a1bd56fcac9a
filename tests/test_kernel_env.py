"""The environment of the kernels that execute lessons: pinned CPU kernels, shared cores."""
import pytest

from autograder import kernel_env
from autograder.kernel_env import (
    REFERENCE_CPU_KERNELS,
    own_user_state,
    pin_reference_kernels,
)


def test_reference_kernels_are_pinned_on_avx2_cpus_only_and_keep_explicit_values():
    environ = {"OPENBLAS_CORETYPE": "Zen"}
    added = pin_reference_kernels(environ, has_avx2=True)
    assert environ["OPENBLAS_CORETYPE"] == "Zen"  # a machine's own setting wins
    assert "OPENBLAS_CORETYPE" not in added
    # MKL_CBWR=AVX2 is ignored on AMD CPUs; COMPATIBLE gives the same digits on Intel and AMD
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2" and environ["MKL_CBWR"] == "COMPATIBLE"
    assert environ["COURSE_REFERENCE_KERNELS"] == "1"
    assert set(added) == set(REFERENCE_CPU_KERNELS) - {"OPENBLAS_CORETYPE"}
    other_cpu = {}
    assert pin_reference_kernels(other_cpu, has_avx2=False) == {} and other_cpu == {}


def test_share_cores_splits_the_cpus_between_kernels_and_keeps_explicit_values(monkeypatch):
    monkeypatch.setattr(kernel_env.os, "cpu_count", lambda: 8)
    alone, pair, preset = {}, {}, {"OMP_NUM_THREADS": "3"}
    kernel_env.share_cores(1, alone)
    kernel_env.share_cores(2, pair)
    kernel_env.share_cores(4, preset)
    assert alone == {"OMP_WAIT_POLICY": "PASSIVE"}  # one kernel keeps torch's own thread count
    assert pair == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "4"}
    assert preset["OMP_NUM_THREADS"] == "3"
    many = {}
    kernel_env.share_cores(16, many)
    assert many["OMP_NUM_THREADS"] == "1"


def test_runs_keep_their_own_matplotlib_ipython_and_jupyter_folders(tmp_path):
    environ = {"MPLCONFIGDIR": "/home/someone/.config/matplotlib"}
    chosen = own_user_state(tmp_path, environ)
    assert set(chosen) == {"MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"}
    assert environ["MPLCONFIGDIR"] == str(tmp_path / "matplotlib") and (tmp_path / "matplotlib").is_dir()
    assert all(value.startswith(str(tmp_path)) for value in environ.values())


def test_nbval_kernels_do_not_read_the_users_matplotlib_cache():
    import os

    assert "course-test-home-" in os.environ["MPLCONFIGDIR"]  # set by the root conftest.py


def test_reference_runs_compute_convolutions_without_onednn(monkeypatch):
    import torch

    from course_utils import settings

    assert settings.REFERENCE_KERNELS in REFERENCE_CPU_KERNELS  # the name both sides use
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", True)
    assert settings.use_reference_kernels({}) is False and torch.backends.mkldnn.enabled
    assert settings.use_reference_kernels({settings.REFERENCE_KERNELS: "1"}) is True
    assert torch.backends.mkldnn.enabled is False
    conv = torch.nn.Conv2d(1, 4, 3)
    assert conv(torch.ones(2, 1, 8, 8)).shape == (2, 4, 6, 6)  # still runs, as im2col


def test_grading_kernels_keep_onednn_but_the_pinned_blas():
    from autograder.sandbox.bubblewrap import Sandbox, sandbox_unavailable
    from autograder.sandbox.limits import SandboxLimits

    if sandbox_unavailable():
        pytest.skip(f"no sandbox here: {sandbox_unavailable()}")
    box = Sandbox(SandboxLimits())
    try:
        env = box.environment({**REFERENCE_CPU_KERNELS, "COURSE_QUICK": "1"})
    finally:
        box.cleanup()
    assert "COURSE_REFERENCE_KERNELS" not in env
    assert env["MKL_CBWR"] == "COMPATIBLE" and env["COURSE_QUICK"] == "1"


def test_without_reference_kernels_the_machine_picks_its_own_again():
    from autograder.kernel_env import without_reference_kernels

    environ = {**REFERENCE_CPU_KERNELS, "OPENBLAS_CORETYPE": "Zen", "HOME": "/home/ana"}
    native = without_reference_kernels(environ)
    assert native == {"OPENBLAS_CORETYPE": "Zen", "HOME": "/home/ana"}  # a machine's own value stays
    assert environ["MKL_CBWR"] == "COMPATIBLE"  # the original is left alone


def test_kernel_threads_gives_kernels_and_this_processs_torch_the_same_threads(monkeypatch):
    import os

    import torch

    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    with kernel_env.kernel_threads(default=wanted):  # nothing chosen: the default
        assert os.environ["OMP_NUM_THREADS"] == os.environ["MKL_NUM_THREADS"] == str(wanted)
        assert torch.get_num_threads() == wanted
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "7"
    assert torch.get_num_threads() == before
    monkeypatch.setenv("OMP_NUM_THREADS", str(wanted))
    with kernel_env.kernel_threads(default=before + 3):  # chosen (an instructor, a cluster): kept
        assert os.environ["MKL_NUM_THREADS"] == str(wanted) and torch.get_num_threads() == wanted
    assert torch.get_num_threads() == before
    monkeypatch.delenv("OMP_NUM_THREADS")
    with kernel_env.kernel_threads():  # no default: nothing changes
        assert "OMP_NUM_THREADS" not in os.environ and torch.get_num_threads() == before
