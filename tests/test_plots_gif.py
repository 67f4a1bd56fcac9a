"""Tests for course_utils.plots.show_gif: a GIF file shown inline (writing GIFs is lesson 6's
exercise, so the package has no GIF writer)."""
import matplotlib

matplotlib.use("Agg")

import imageio.v3 as iio
import numpy as np
import pytest
from IPython.display import Image

from course_utils import plots


def write_gif(path, n=3):
    rng = np.random.default_rng(0)
    iio.imwrite(path, [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(n)],
                extension=".gif", duration=250, loop=0)
    return path


def test_show_gif_embeds_the_file(tmp_path):
    path = write_gif(tmp_path / "a.gif")
    image = plots.show_gif(path, show=False)
    assert isinstance(image, Image)
    assert image.format == "gif" and image.data == path.read_bytes()
    with pytest.raises(FileNotFoundError, match="write the GIF"):
        plots.show_gif(tmp_path / "missing.gif")


def test_show_gif_displays_in_notebooks_only(tmp_path, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(plots.figures, "display", shown.append)
    path = write_gif(tmp_path / "a.gif")
    assert plots.show_gif(path) is None and shown == [] and capsys.readouterr().out == ""
    monkeypatch.setattr(plots.figures, "in_notebook", lambda: True)
    plots.show_gif(path)
    assert len(shown) == 1 and shown[0].data == path.read_bytes()


def test_the_package_has_no_gif_writer_or_frame_renderer():
    # lesson 6 grades writing these by hand: they must not be importable
    for name in ("save_gif", "frames_to_gif", "decision_boundary_frame", "figure_to_array"):
        assert not hasattr(plots, name), name
