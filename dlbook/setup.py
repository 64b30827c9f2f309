"""Device choice, seeding and the quick/full switch shared by every notebook."""

from __future__ import annotations

import logging
import random
from typing import TypeVar

import numpy as np
import torch

from dlbook import env_flag

T = TypeVar("T")

# On a machine with a CUDA toolkit but no GPU (CI, many laptops), importing
# torch.utils.benchmark logs "No CUDA runtime is found": true, but no use to a reader.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)


#: True when ``DLBOOK_QUICK=1``: tests run every notebook on smaller data, fewer epochs.
QUICK: bool = env_flag("DLBOOK_QUICK")


def pick(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode (``DLBOOK_QUICK=1``), otherwise ``full``."""
    return quick if QUICK else full


def get_device() -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and all GPUs) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
