"""make tolerance-survey: how far each cell's numbers moved in runs under other kernels."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.authoring import tolerance_survey


def _lesson(folder, *cells):
    """A lesson notebook at folder/01-demo/demo.ipynb whose code cells printed ``cells``:
    (text, tolerance or None, png or None)."""
    nb = new_notebook()
    for text, tolerance, png in cells:
        cell = new_code_cell("print()", outputs=[new_output("stream", name="stdout", text=text)])
        if png:
            cell.outputs.append(new_output("display_data", data={"image/png": png,
                                                                 "text/plain": "<Figure>"}))
        if tolerance is not None:
            cell.metadata["tolerance"] = tolerance
        nb.cells.append(cell)
    path = folder / "01-demo" / "demo.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)


def test_moves_within_the_declared_tolerance_pass(tmp_path, capsys):
    _lesson(tmp_path / "stored",
            ("loss 0.4250, accuracy 82.1%, kept from epoch 25\n",
             {"relative": 0.05, "points": 1, "counts": {"kept from epoch": 3}}, "AAAA"),
            ("shape (32, 1)\n", None, None))
    _lesson(tmp_path / "run",
            ("loss 0.4300, accuracy 82.9%, kept from epoch 27\n",
             {"relative": 0.05, "points": 1, "counts": {"kept from epoch": 3}}, "BBBB"),
            ("shape (32, 1)\n", None, None))
    code = tolerance_survey.main([str(tmp_path / "run"), "--notebooks", str(tmp_path / "stored")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "code cell 0 (1 run(s)): 0.80 points; 1.2% of size; +-2 after 'kept from epoch'" in out
    assert "| within points 1, relative 0.05" in out and "code cell 1" not in out


def test_a_cell_that_moved_without_a_tolerance_or_beyond_it_fails(tmp_path, capsys):
    _lesson(tmp_path / "stored", ("loss 0.4250\n", None, None),
            ("accuracy 82.1%\n", {"points": 0.5}, None), ("best: Adam\n", {"points": 9}, None))
    _lesson(tmp_path / "run", ("loss 0.4251\n", None, None),
            ("accuracy 83.1%\n", {"points": 0.5}, None), ("best: SGD\n", {"points": 9}, None))
    code = tolerance_survey.main([str(tmp_path / "run"), "--notebooks", str(tmp_path / "stored")])
    out = capsys.readouterr().out
    assert code == 1
    assert "code cell 0 (1 run(s)): 0.0% of size | beyond exact" in out
    assert "code cell 1 (1 run(s)): 1.00 points | beyond points 0.5" in out
    assert "code cell 2 (1 run(s)): OTHER OUTPUT DIFFERS" in out
    assert "3 cell(s) beyond their declared tolerance" in out
