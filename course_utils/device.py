"""Pick the device every lesson trains on."""
import os

import torch


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
