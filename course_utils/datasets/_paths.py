"""Short, machine-independent path names for messages."""
from pathlib import Path

from ..settings import REPO_ROOT


def display_path(path):
    """``path`` relative to the repository when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)
