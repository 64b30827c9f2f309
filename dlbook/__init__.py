"""Helpers for the deep-learning course book.

Only plumbing lives here (devices, seeds, data, plots, exercise checks); what a
chapter teaches is written in the chapter itself.
"""

import os

__version__ = "0.1.0"


def env_flag(name: str) -> bool:
    """Return True when the environment variable ``name`` is set to 1/true/yes/on."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
