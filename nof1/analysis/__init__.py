"""Per-patient statistics: one kernel per method, declared in :mod:`~nof1.analysis.registry`.

A kernel takes :class:`~nof1.analysis.registry.Trials` (one row per series: a patient's
outcome, or a simulated trial) and returns :class:`~nof1.analysis.registry.Estimates`; the
same kernel serves ``nof1 analyze``, ``nof1 series`` and ``nof1 power``. Modules: ``ar1``
(GLS with AR(1) errors, REML; fitted by ``ar1_batch``), ``bayes`` (Bayesian AR(1), posterior
in ``bayes_batch``), ``classic`` (Welch and paired t), ``nonoverlap`` (NAP),
``randomization``; ``patient`` assembles a patient's results. Importing the package stays
cheap: scipy loads with the first kernel.

Examples
--------
>>> import numpy as np
>>> from nof1.analysis import Trials, method
>>> arm = np.array([[1, 1, 1, 0, 0, 0]], dtype=np.int8)
>>> t = Trials(np.array([[4.0, 5, 6, 7, 9, 8]]), np.arange(1, 7), arm, np.zeros_like(arm),
...            np.array([-1.0]), np.array([1.0]), 0.05)
>>> method("welch_t").run(t).effect(0).estimate
-3.0
"""

from __future__ import annotations

import importlib

from nof1.analysis.registry import METHODS, Estimates, Method, Trials, method

__all__ = ["METHODS", "METHOD_KEYS", "Effect", "Estimates", "Method", "Trials", "method"]

# Effect needs numpy: loaded on first use, so that validating a protocol (which reads the
# registry) does not import it.
_LAZY = {"Effect": "effect", "METHOD_KEYS": "effect"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"nof1.analysis.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'nof1.analysis' has no attribute {name!r}")
