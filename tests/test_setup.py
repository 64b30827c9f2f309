"""Unit tests of dlbook.setup."""

import importlib
import random

import numpy as np
import pytest
import torch

import dlbook.setup
from dlbook import env_flag


@pytest.mark.parametrize(
    ("value", "quick"), [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_quick_follows_environment(monkeypatch, value, quick):
    monkeypatch.setenv("DLBOOK_QUICK", value)
    module = importlib.reload(dlbook.setup)
    try:
        assert module.QUICK is quick
        assert module.pick(full=100, quick=3) == (3 if quick else 100)
    finally:
        monkeypatch.delenv("DLBOOK_QUICK")
        importlib.reload(dlbook.setup)


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert dlbook.setup.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dlbook.setup.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dlbook.setup.get_device() == torch.device("cuda")


def test_set_seed_makes_every_generator_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    dlbook.setup.set_seed(123)
    first = draw()
    dlbook.setup.set_seed(123)
    assert draw() == first
    dlbook.setup.set_seed(124)
    assert draw() != first


def test_env_flag_reads_true_ish_values(monkeypatch):
    for value, expected in [("1", True), (" Yes ", True), ("on", True), ("0", False)]:
        monkeypatch.setenv("DLBOOK_SOME_FLAG", value)
        assert env_flag("DLBOOK_SOME_FLAG") is expected
    monkeypatch.delenv("DLBOOK_SOME_FLAG")
    assert env_flag("DLBOOK_SOME_FLAG") is False
