"""nof1: n-of-1 trials."""

__version__ = "0.1.0"
