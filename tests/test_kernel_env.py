"""The environment of the kernels that execute lessons: pinned CPU kernels, shared cores."""
from autograder import kernel_env
from autograder.kernel_env import REFERENCE_CPU_KERNELS, own_user_state, pin_reference_kernels


def test_reference_kernels_are_pinned_on_avx2_cpus_only_and_keep_explicit_values():
    environ = {"OPENBLAS_CORETYPE": "Zen"}
    added = pin_reference_kernels(environ, has_avx2=True)
    assert environ["OPENBLAS_CORETYPE"] == "Zen"  # a machine's own setting wins
    assert "OPENBLAS_CORETYPE" not in added
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2" and environ["MKL_CBWR"] == "AVX2"
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
