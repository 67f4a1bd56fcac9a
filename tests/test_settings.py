"""Quick mode, data folder, device and seeding."""
import random

import numpy as np
import torch

from course_utils import settings
from course_utils.device import pick_device
from course_utils.reproducibility import (REFERENCE_CPU_KERNELS, pin_reference_kernels,
                                          seed_everything)
from course_utils.session import start_lesson


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


def test_reference_kernels_are_pinned_on_avx2_cpus_only_and_keep_explicit_values():
    environ = {"OPENBLAS_CORETYPE": "Zen"}
    added = pin_reference_kernels(environ, has_avx2=True)
    assert environ["OPENBLAS_CORETYPE"] == "Zen"  # a machine's own setting wins
    assert "OPENBLAS_CORETYPE" not in added
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2" and environ["MKL_CBWR"] == "AVX2"
    assert set(added) == set(REFERENCE_CPU_KERNELS) - {"OPENBLAS_CORETYPE"}
    other_cpu = {}
    assert pin_reference_kernels(other_cpu, has_avx2=False) == {} and other_cpu == {}


def test_share_cores_splits_the_cpus_between_kernels_and_keeps_explicit_values(monkeypatch):
    monkeypatch.setattr(settings.os, "cpu_count", lambda: 8)
    alone, pair, preset = {}, {}, {"OMP_NUM_THREADS": "3"}
    settings.share_cores(1, alone)
    settings.share_cores(2, pair)
    settings.share_cores(4, preset)
    assert alone == {"OMP_WAIT_POLICY": "PASSIVE"}  # one kernel keeps torch's own thread count
    assert pair == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "4"}
    assert preset["OMP_NUM_THREADS"] == "3"
    many = {}
    settings.share_cores(16, many)
    assert many["OMP_NUM_THREADS"] == "1"
