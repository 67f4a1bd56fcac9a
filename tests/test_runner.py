"""The notebook runner behind `make course`."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.authoring import runner
from autograder.kernel_env import cpu_has_avx2


def _write(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_executes_in_quick_mode_with_progress_bars_off(tmp_path):
    path = _write(tmp_path / "ok.ipynb", "import os\nprint(os.environ['COURSE_QUICK'], "
                  "os.environ['COURSE_PROGRESS'], os.getcwd())")
    nb, seconds, error = runner.execute_notebook(path, quick=True)
    assert error is None and seconds > 0
    assert nb.cells[0].outputs[0]["text"].split() == ["1", "0", str(tmp_path)]


def test_failures_are_one_line_and_the_batch_goes_on(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    failing = _write(tmp_path / "fails.ipynb", "raise ValueError('boom')")
    fine = _write(tmp_path / "fine.ipynb", "print('fine')")
    code = runner.main([str(broken), str(failing), str(fine), "--output-dir", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "cannot read notebook" in out and "ValueError: boom" in out
    assert "2 failure(s)" in out
    assert (tmp_path / "out" / tmp_path.name / "fine.ipynb").exists()


def test_kernels_compute_with_the_pinned_cpu_kernels(tmp_path, monkeypatch):
    if not cpu_has_avx2():
        pytest.skip("the pinned kernels need an AVX2 CPU")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    path = _write(tmp_path / "kernels.ipynb", "import torch\n"
                  "print(torch.backends.cpu.get_cpu_capability())")
    nb, _, error = runner.execute_notebook(path)
    assert error is None
    assert nb.cells[0].outputs[0]["text"].strip() == "AVX2"


def test_native_kernels_leave_the_pinned_settings_out(tmp_path, monkeypatch):
    monkeypatch.delenv("MKL_CBWR", raising=False)
    monkeypatch.delenv("COURSE_REFERENCE_KERNELS", raising=False)
    path = _write(tmp_path / "kernels.ipynb", "import os\n"
                  "print(os.environ.get('MKL_CBWR'), os.environ.get('COURSE_REFERENCE_KERNELS'))")
    nb, _, error = runner.execute_notebook(path, reference_kernels=False)
    assert error is None and nb.cells[0].outputs[0]["text"].split() == ["None", "None"]
    nb, _, error = runner.execute_notebook(path)
    assert nb.cells[0].outputs[0]["text"].split() == ["COMPATIBLE", "1"] or not cpu_has_avx2()


def test_stored_outputs_are_never_made_with_native_kernels(tmp_path, capsys):
    with pytest.raises(SystemExit):
        runner.main([str(tmp_path / "x.ipynb"), "--in-place", "--native-kernels"])
    assert "do not go together" in capsys.readouterr().err


def test_the_kernel_talks_over_ipc_sockets_says_nothing_about_tcp_and_leaves_none(tmp_path, capfd):
    path = _write(tmp_path / "ipc.ipynb", "import os\nprint(os.environ['JUPYTER_RUNTIME_DIR'])")
    nb, _, error = runner.execute_notebook(path)
    assert error is None
    runtime = nb.cells[0].outputs[0].text.strip()
    leftover = [p.name for p in Path(runtime).glob("runner-*")]
    assert not leftover, leftover
    assert "without encryption" not in capfd.readouterr().err
