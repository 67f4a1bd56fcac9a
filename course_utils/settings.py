"""Course-wide settings read from environment variables.

``COURSE_QUICK=1``  shrinks epochs and sample counts (CI, tests, autograding).
``COURSE_DATA``     folder that caches downloaded datasets (default: ``<repo>/data``).
``COURSE_MNIST_DIR`` folder with MNIST IDX files (``t10k-images-idx3-ubyte.gz`` ...).
``COURSE_DEVICE``   force a device ("cpu", "cuda", "mps") instead of the automatic pick.
"""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}


def is_quick() -> bool:
    """True when quick mode is switched on with ``COURSE_QUICK=1``."""
    return os.environ.get("COURSE_QUICK", "").strip().lower() in _TRUE


def scaled(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Notebooks write ``EPOCHS = scaled(full=30, quick=3)`` so students read one line of
    code whatever mode CI uses.
    """
    return quick if is_quick() else full


def data_home(data_home=None) -> Path:
    """The dataset cache folder, created on first use."""
    path = Path(data_home or os.environ.get("COURSE_DATA") or REPO_ROOT / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


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
