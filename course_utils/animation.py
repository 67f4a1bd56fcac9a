"""Animated GIFs from a sequence of frames (arrays or matplotlib figures), shown inline."""
from pathlib import Path

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from matplotlib.figure import Figure

from course_utils.plots import figure_to_array, in_notebook


def _as_frame(frame, index) -> np.ndarray:
    """A uint8 (H, W), (H, W, 3) or (H, W, 4) array; figures are rendered and then closed."""
    if isinstance(frame, Figure):
        array = figure_to_array(frame)
        plt.close(frame)
        return array
    array = np.asarray(frame)
    if array.dtype != np.uint8:
        raise ValueError(f"frame {index} has dtype {array.dtype}; frames must be uint8 "
                         "(for floats in [0, 1] use (frame * 255).round().astype(np.uint8))")
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"frame {index} has shape {array.shape}; expected (H, W), (H, W, 3) "
                         "or (H, W, 4)")
    return array


def save_gif(frames, path, fps=2, loop=0) -> Path:
    """Write ``frames`` as an animated GIF playing ``fps`` frames a second and return its path.

    ``loop=0`` repeats forever; ``loop=n`` plays n times. The GIF encoder (Pillow) merges
    consecutive identical frames into one longer frame, so playback time is unchanged.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive; got {fps}")
    arrays = [_as_frame(frame, index) for index, frame in enumerate(frames)]
    if not arrays:
        raise ValueError("save_gif needs at least one frame")
    for index, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(f"frame {index} has shape {array.shape} but frame 0 has "
                             f"{arrays[0].shape}; all frames must share one shape")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The pillow plugin takes the time per frame in milliseconds.
    iio.imwrite(path, arrays, extension=".gif", plugin="pillow",
                duration=round(1000 / fps), loop=loop)
    return path


def show_gif(path, show=True):
    """Display the GIF at ``path`` in the notebook (embedded, so the notebook keeps it).

    With ``show=False`` the ``IPython.display.Image`` is returned instead.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GIF at {path}; write one with save_gif first")
    image = Image(filename=str(path), format="gif")
    if not show:
        return image
    if in_notebook():
        display(image)
    return None


def frames_to_gif(frames, path, fps=2, loop=0) -> Path:
    """Save ``frames`` as a GIF, show it inline and return its path."""
    path = save_gif(frames, path, fps=fps, loop=loop)
    show_gif(path)
    return path
