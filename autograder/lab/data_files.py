"""Install the files of pyproject.toml's ``[tool.setuptools.data-files]`` into ``sys.prefix``
(the formgrade MathJax template, the Jupyter server configuration that enables the course's
Validate), as a wheel install does. ``pip install -e`` skips them: setuptools' editable build
checks ``has_data`` instead of ``has_data_files``. ``make env`` runs this after installing.
"""
import shutil
import sys
import tomllib
from pathlib import Path

from autograder.course import REPO_ROOT


def install_data_files(prefix=sys.prefix, project=REPO_ROOT):
    """Copy each data file into ``prefix``; returns the paths written."""
    table = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    written = []
    for folder, sources in table.items():
        target = Path(prefix, folder)
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            written.append(Path(shutil.copy(project / source, target)))
    return written


if __name__ == "__main__":
    for path in install_data_files():
        print(f"installed {path}")
