"""Notebook metadata that JupyterLab would otherwise rewrite on opening (marking the file modified)."""
import json
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

SOURCES = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.parent.name)
def test_the_kernelspec_is_the_installed_python3_kernels(path):
    # JupyterLab sets metadata.kernelspec to {name, display_name, language} of the running
    # kernel's spec; any difference marks a freshly opened notebook as modified
    spec = KernelSpecManager().get_kernel_spec("python3")
    installed = {"display_name": spec.display_name, "language": spec.language, "name": "python3"}
    assert json.loads(path.read_text())["metadata"]["kernelspec"] == installed
