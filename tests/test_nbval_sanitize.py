"""The patterns nbval uses to mask what truly varies between runs of a notebook."""
import base64
import random
import re
import signal
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CONFIG = Path(__file__).parent / "nbval_sanitize.cfg"


@pytest.fixture(scope="module")
def sanitize():
    patterns = dict(get_sanitize_patterns(CONFIG.read_text()))  # nbval keeps them in order

    def apply(text):
        for regex, replace in patterns.items():
            text = re.sub(regex, replace, text)
        return text
    return apply


@pytest.mark.parametrize("varying,masked", [
    ("trained in 12.5 s", "trained in <TIME>"),
    (" 40%|####      | 4/10 [00:01<00:02, 2.50epoch/s]", " <PROGRESS>"),
    ("at 0x7f3a2b4c5d6e>", "at <ADDRESS>>"),
    ("official MNIST test set (10,000 digits, /home/ana/course/../data/MNIST/raw)",
     "official MNIST test set (10,000 digits, <MNIST_DIR>)"),
    ("Dataset: MNIST — download failed: example.org: Name or service not known; using the "
     "offline fallback.", "Dataset: MNIST — download failed: <REASON>; using the offline fallback."),
])
def test_what_varies_is_masked(sanitize, varying, masked):
    assert sanitize(varying) == masked


def test_results_are_left_alone(sanitize):
    line = "MLP (weights of epoch 18): test loss 0.0913, test accuracy 97.27% (9727/10000)"
    assert sanitize(line) == line


def test_a_large_inline_image_does_not_make_a_pattern_backtrack_for_ever(sanitize):
    """A GIF is compared as base64 text full of '/': a nested quantifier once hung nbval."""
    blob = base64.b64encode(random.Random(0).randbytes(150_000)).decode()

    def hung(signum, frame):
        raise AssertionError("a sanitize pattern backtracks catastrophically on base64 text")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)  # the patterns take milliseconds; the broken one took hours
    try:
        assert sanitize(blob) == blob
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
