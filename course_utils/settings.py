"""Course-wide settings: quick mode, the dataset folder, the device, seeding, ``start_lesson``.

``COURSE_QUICK=1``  shrinks epochs and sample counts (CI, tests, autograding).
``COURSE_DATA``     folder that caches downloaded datasets and saved models (default: ``<repo>/data``
                    when this user may write there, else ``~/.cache/mlp-course``: a student with
                    their own account owns nothing of the course folder).
``COURSE_SHARED_DATA`` read-only folders (separated by ``:``) with datasets an admin cached for
                    everyone; ``<repo>/data`` is one for a user who may not write it.
``COURSE_MNIST_DIR`` folder with MNIST IDX files (``t10k-images-idx3-ubyte.gz`` ...).
``COURSE_DEVICE``   force a device ("cpu", "cuda", "mps") instead of the automatic pick.
``COURSE_REFERENCE_KERNELS=1`` compute with the reference CPU kernels the stored outputs were
made with (set by the runner and the tests, ``autograder.kernel_env``).
"""
import os
import random
from pathlib import Path

import matplotlib
import numpy as np
import torch

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


def _may_write(path: Path) -> bool:
    """Whether this user can create or write ``path`` (its nearest existing folder decides)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK | os.X_OK)


def user_data_home() -> Path:
    """This user's own cache folder: ``$XDG_CACHE_HOME/mlp-course`` or ``~/.cache/mlp-course``."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "mlp-course"


def data_home(data_home=None) -> Path:
    """The folder this user's datasets and saved models go to, created on first use."""
    course_data = REPO_ROOT / "data"
    path = Path(data_home or os.environ.get("COURSE_DATA")
                or (course_data if _may_write(course_data) else user_data_home()))
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_homes(home=None) -> list[Path]:
    """Folders read (never written) for a dataset missing from :func:`data_home`:
    ``$COURSE_SHARED_DATA``'s, then the course's ``data/`` when this user may not write it."""
    mine = data_home(home).resolve()
    folders = [Path(p) for p in os.environ.get("COURSE_SHARED_DATA", "").split(os.pathsep) if p]
    if not _may_write(REPO_ROOT / "data"):
        folders.append(REPO_ROOT / "data")
    return [f for f in dict.fromkeys(folders) if f.is_dir() and f.resolve() != mine]


def pick_device(preferred: str | None = None, verbose: bool = False) -> torch.device:
    """Return CUDA if available, then Apple's MPS, then the CPU.

    ``preferred`` (or the ``COURSE_DEVICE`` environment variable) forces a device by name.
    """
    name = preferred or os.environ.get("COURSE_DEVICE")
    if name:
        device = torch.device(name)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        print(f"Using device: {device}")
    return device


def seed_everything(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU) and return the seed."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    return seed


REFERENCE_KERNELS = "COURSE_REFERENCE_KERNELS"


def use_reference_kernels(environ=os.environ) -> bool:
    """In reference runs (``COURSE_REFERENCE_KERNELS=1``), switch oneDNN off: its convolutions
    choose their blocking from the CPU's cache sizes, so their last digits differ between
    machines. Convolutions then run as im2col and matrix products. Returns whether it did."""
    if environ.get(REFERENCE_KERNELS, "").strip().lower() not in _TRUE:
        return False
    torch.backends.mkldnn.enabled = False
    return True


def start_lesson(seed: int = 0):
    """Seed everything, return the device, and print one line describing the run; in a
    notebook, an exercise not answered yet then reports itself in one line."""
    import matplotlib.pyplot as plt  # noqa: F401  (the inline backend is set up on import)

    from .unanswered import quiet_unanswered_cells

    quiet_unanswered_cells()
    use_reference_kernels()
    seed_everything(seed)
    matplotlib.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4)})
    device = pick_device()
    print(f"Device: {device} | quick mode: {'on' if is_quick() else 'off'} | seed: {seed}")
    return device
