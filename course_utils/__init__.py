"""Shared code for the MLP course notebooks.

Lessons usually start with::

    from course_utils import start_lesson, scaled
    device = start_lesson(seed=0)
"""
from .checkpoints import load_model, save_model, train_or_load
from .checks import expect, self_check
from .device import pick_device
from .models import MLP, LeNet, MnistCNN
from .reproducibility import seed_everything
from .session import start_lesson
from .settings import is_quick, scaled
from .training import History, evaluate, fit, predict

__all__ = ["History", "LeNet", "MLP", "MnistCNN", "evaluate", "expect", "fit", "is_quick",
           "load_model", "pick_device", "predict", "save_model", "scaled", "seed_everything",
           "self_check", "start_lesson", "train_or_load"]
