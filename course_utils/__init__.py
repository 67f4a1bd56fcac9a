"""Shared code for the MLP course notebooks: the core every lesson uses.

Lessons usually start with::

    from course_utils import start_lesson, scaled
    device = start_lesson(seed=0)

The core is ``settings`` (quick mode, device, seeding, ``start_lesson``), ``datasets``,
``models``, ``training`` (the loop), ``checkpoints`` (saved models), ``plots`` (figures and GIFs) and
``checks`` (self-checks). What serves one lesson only is in ``course_utils.lessons``.
"""
from .checkpoints import load_model, save_model, train_or_load
from .checks import expect, self_check
from .models import MLP, LeNet
from .settings import is_quick, pick_device, scaled, seed_everything, start_lesson
from .training import History, evaluate, fit, predict

__all__ = ["History", "LeNet", "MLP", "evaluate", "expect", "fit", "is_quick",
           "load_model", "pick_device", "predict", "save_model", "scaled", "seed_everything",
           "self_check", "start_lesson", "train_or_load"]
