"""Tests for course_utils.plots: GIF frames, timing, determinism and inline display."""
import matplotlib

matplotlib.use("Agg")

import imageio.v3 as iio  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.display import Image  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from course_utils import plots as animation  # noqa: E402


@pytest.fixture(autouse=True)
def no_leftover_figures():
    plt.close("all")
    yield
    plt.close("all")


def random_frames(n=5, shape=(20, 30, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]


def test_gif_has_every_frame_at_the_requested_speed(tmp_path):
    path = animation.save_gif(random_frames(), tmp_path / "sub" / "a.gif", fps=4)
    assert path == tmp_path / "sub" / "a.gif"
    assert iio.imread(path, index=None).shape == (5, 20, 30, 3)
    with PILImage.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.info["duration"] == 250  # milliseconds per frame at 4 fps
        assert gif.info["loop"] == 0  # repeat forever


def test_gif_bytes_are_deterministic(tmp_path):
    first = animation.save_gif(random_frames(seed=3), tmp_path / "first.gif")
    second = animation.save_gif(random_frames(seed=3), tmp_path / "second.gif")
    assert first.read_bytes() == second.read_bytes()
    other = animation.save_gif(random_frames(seed=4), tmp_path / "other.gif")
    assert other.read_bytes() != first.read_bytes()


def test_figures_become_frames_and_are_closed(tmp_path):
    figures = []
    for slope in (1, 2, 3):
        fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
        ax.plot([0, 1], [0, slope])
        figures.append(fig)
    path = animation.save_gif(figures, tmp_path / "figs.gif")
    assert iio.imread(path, index=None).shape == (3, 75, 100, 3)
    assert plt.get_fignums() == []


def test_mismatched_shapes_name_the_first_bad_frame(tmp_path):
    frames = random_frames(4)
    frames[2] = frames[2][:10]
    frames[3] = frames[3][:5]
    with pytest.raises(ValueError, match=r"frame 2 has shape \(10, 30, 3\)"):
        animation.save_gif(frames, tmp_path / "bad.gif")


@pytest.mark.parametrize("frames, message", [
    ([], "at least one frame"),
    ([np.zeros((4, 4, 3))], "uint8"),
    ([np.zeros((4, 4, 2), dtype=np.uint8)], "shape"),
])
def test_bad_frames_get_clear_errors(tmp_path, frames, message):
    with pytest.raises(ValueError, match=message):
        animation.save_gif(frames, tmp_path / "bad.gif")
    assert not (tmp_path / "bad.gif").exists()


def test_fps_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="fps"):
        animation.save_gif(random_frames(2), tmp_path / "a.gif", fps=0)


def test_show_gif_embeds_the_file(tmp_path):
    path = animation.save_gif(random_frames(2), tmp_path / "a.gif")
    image = animation.show_gif(path, show=False)
    assert isinstance(image, Image)
    assert image.format == "gif" and image.data == path.read_bytes()
    with pytest.raises(FileNotFoundError, match="save_gif"):
        animation.show_gif(tmp_path / "missing.gif")


def test_frames_to_gif_displays_in_notebooks_only(tmp_path, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(animation, "display", shown.append)
    path = animation.frames_to_gif(random_frames(3), tmp_path / "a.gif")
    assert path.is_file() and shown == [] and capsys.readouterr().out == ""
    monkeypatch.setattr(animation, "in_notebook", lambda: True)
    animation.frames_to_gif(random_frames(3), tmp_path / "b.gif")
    assert len(shown) == 1 and shown[0].data == (tmp_path / "b.gif").read_bytes()
