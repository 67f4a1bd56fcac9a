"""The environment of the kernels that execute lessons (runner, nbval, grading).

Three settings make those runs repeatable and fast: the CPU kernels that reference outputs are
computed with, how many threads each kernel gets when several run side by side, and folders of
their own for what matplotlib, IPython and Jupyter keep per user. They must be set before the
libraries load, that is in the environment the kernels inherit.
"""
import contextlib
import os
from pathlib import Path

# Per-user state that changes what a notebook prints: a matplotlib font cache left by another
# environment made the first plot of every kernel warn on stderr ("findfont: ... not found").
USER_STATE = {"MPLCONFIGDIR": "matplotlib", "IPYTHONDIR": "ipython",
              "JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_RUNTIME_DIR": "jupyter-runtime"}

# BLAS and PyTorch pick their kernels by the processor's instruction set (AVX2, AVX-512...),
# and kernels of different widths add in different orders, so the last digits of a result
# depend on the CPU. Pinning them makes the stored notebook outputs reproducible on any x86-64
# machine with AVX2 (nearly every one of the last decade), Intel or AMD:
# - MKL honors its per-ISA settings (MKL_CBWR=AVX2) on Intel CPUs only and picks its own
#   kernels on AMD ones; its COMPATIBLE branch (SSE2, no approximate reciprocals) is the one
#   that gives the same results on both.
# - oneDNN's convolutions choose their blocking from the cache sizes as well, so reference runs
#   switch oneDNN off (COURSE_REFERENCE_KERNELS, read by ``course_utils.settings.start_lesson``):
#   convolutions then run as im2col and MKL matrix products. Grading keeps oneDNN (see the
#   sandbox), where nothing is compared with stored outputs.
REFERENCE_CPU_KERNELS = {
    "OPENBLAS_CORETYPE": "Haswell",  # NumPy/scikit-learn (OpenBLAS)
    "ATEN_CPU_CAPABILITY": "avx2",   # PyTorch's own vectorized operators
    "MKL_CBWR": "COMPATIBLE",        # PyTorch's matrix products (MKL)
    "ONEDNN_MAX_CPU_ISA": "AVX2",    # oneDNN, where a run keeps it
    "COURSE_REFERENCE_KERNELS": "1", # convolutions without oneDNN
}


def cpu_has_avx2() -> bool:
    """True when the CPU reports AVX2 (read from /proc/cpuinfo; False where there is none)."""
    try:
        with open("/proc/cpuinfo") as info:
            return any(line.startswith("flags") and " avx2" in line for line in info)
    except OSError:
        return False


def pin_reference_kernels(environ=None, has_avx2=None) -> dict:
    """Set ``REFERENCE_CPU_KERNELS`` in ``environ`` (default ``os.environ``) on AVX2 CPUs.

    Values already set are kept, so a machine that needs its own setting keeps it. Returns
    what was added. Elsewhere (no AVX2, not x86-64) the kernels cannot run: nothing is set.
    """
    environ = os.environ if environ is None else environ
    if not (cpu_has_avx2() if has_avx2 is None else has_avx2):
        return {}
    added = {k: v for k, v in REFERENCE_CPU_KERNELS.items() if k not in environ}
    environ.update(added)
    return added


def without_reference_kernels(environ=None) -> dict:
    """A copy of ``environ`` (default ``os.environ``) in which the machine picks its own CPU
    kernels again: every ``REFERENCE_CPU_KERNELS`` setting that holds its pinned value is
    left out (MKL then takes its default branch, and oneDNN its convolutions)."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if REFERENCE_CPU_KERNELS.get(k) != v}


def share_cores(processes: int = 1, environ=None) -> None:
    """Set up ``environ`` (default ``os.environ``) for ``processes`` kernels running at once.

    Idle OpenMP threads sleep instead of spinning, and with several processes each gets its
    share of the cores: two 2-thread kernels spinning on 2 cores graded a lesson 3 times
    slower than one kernel alone. Values already set are kept.
    """
    environ = os.environ if environ is None else environ
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if processes > 1:
        environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# How many threads a kernel's libraries start and whether idle ones spin: what a process passes
# on to kernels it starts in a cleared environment, so that they share the cores as it does.
THREAD_SETTINGS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")


def thread_environment(threads: int) -> dict[str, str]:
    """The variables that give a grading process's kernels ``threads`` threads each, sleeping
    when idle."""
    return dict(zip(THREAD_SETTINGS, (str(threads), str(threads), str(threads), "PASSIVE")))


@contextlib.contextmanager
def kernel_threads(default: int | None = None):
    """Kernels graded inside the block get the threads OMP_NUM_THREADS asks for (an instructor's
    or the cluster's choice), else ``default`` (None: nothing changes), and so does this
    process's torch, which replays their training in hidden tests: a replay must add in the same
    order as the kernel, or a loss differs in its fourth digit after a few Adam steps."""
    import sys

    chosen = os.environ.get("OMP_NUM_THREADS", "")
    threads = int(chosen) if chosen.isdigit() else default
    if threads is None:
        yield
        return
    torch = sys.modules.get("torch")  # imported later, torch reads OMP_NUM_THREADS itself
    before = torch.get_num_threads() if torch is not None else None
    with environment_set(thread_environment(threads)):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def own_user_state(folder, environ=None) -> dict:
    """Point matplotlib, IPython and Jupyter at folders below ``folder`` (created), instead of
    the user's home, in ``environ`` (default ``os.environ``); returns what was set."""
    environ = os.environ if environ is None else environ
    chosen = {}
    for variable, name in USER_STATE.items():
        path = Path(folder) / name
        path.mkdir(parents=True, exist_ok=True)
        chosen[variable] = environ[variable] = str(path)
    return chosen


@contextlib.contextmanager
def environment_set(values, environ=None):
    """Set ``values`` in ``environ`` (default ``os.environ``) while the block runs, then put back
    what was there."""
    environ = os.environ if environ is None else environ
    saved = {k: environ.get(k) for k in values}
    environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
