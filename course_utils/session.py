"""The first call of every lesson: seed, pick the device, fix figure defaults."""
import matplotlib

from .device import pick_device
from .reproducibility import seed_everything
from .settings import is_quick


def start_lesson(seed: int = 0):
    """Seed everything, return the device, and print one line describing the run."""
    import matplotlib.pyplot as plt  # noqa: F401  (the inline backend is set up on import)

    seed_everything(seed)
    matplotlib.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4)})
    device = pick_device()
    print(f"Device: {device} | quick mode: {'on' if is_quick() else 'off'} | seed: {seed}")
    return device
