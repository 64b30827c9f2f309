"""Helpers for the deep-learning course book.

Only plumbing lives here (devices, seeds, data, plots, exercise checks); what a
chapter teaches is written in the chapter itself.
"""

__version__ = "0.1.0"
