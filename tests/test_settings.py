"""Quick mode, data folder, device and seeding."""
import random

import numpy as np
import torch

from course_utils import settings
from course_utils.settings import pick_device, seed_everything, start_lesson


def test_quick_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert settings.is_quick() and settings.scaled(full=30, quick=2) == 2
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert not settings.is_quick() and settings.scaled(full=30, quick=2) == 30


def test_data_home_comes_from_the_argument_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "env"))
    assert settings.data_home() == tmp_path / "env" and (tmp_path / "env").is_dir()
    assert settings.data_home(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("COURSE_DATA")
    assert settings.data_home() == settings.REPO_ROOT / "data"


def test_device_picker_falls_back_to_the_cpu_and_obeys_the_override(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")


def test_seed_everything_repeats_all_three_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()
    seed_everything(7)
    first = draw()
    seed_everything(7)
    assert draw() == first


def test_start_lesson_prints_one_line(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    assert start_lesson(seed=3) == torch.device("cpu")
    assert capsys.readouterr().out == "Device: cpu | quick mode: off | seed: 3\n"


def test_a_user_who_may_not_write_the_course_folder_gets_their_own_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(settings.os, "access", lambda path, mode: False)  # a student, not root
    assert settings.data_home() == tmp_path / "cache" / "mlp-course"
    assert (tmp_path / "cache" / "mlp-course").is_dir()
    assert settings.data_home(tmp_path / "arg") == tmp_path / "arg"  # an explicit folder still wins


def test_shared_data_folders_are_the_admins_then_an_unwritable_course_folder(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("COURSE_SHARED_DATA", f"{shared}{settings.os.pathsep}{tmp_path / 'absent'}")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "mine"))
    (settings.REPO_ROOT / "data").mkdir(exist_ok=True)
    assert settings.shared_data_homes() == [shared]  # the course folder is ours to write
    monkeypatch.setattr(settings.os, "access", lambda path, mode: False)
    assert settings.shared_data_homes() == [shared, settings.REPO_ROOT / "data"]
