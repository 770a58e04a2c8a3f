"""Per-patient statistical methods: pure functions on arrays returning :class:`Effect` objects.

One module per family: :mod:`~nof1.analysis.ar1` (GLS with AR(1) errors, REML),
:mod:`~nof1.analysis.bayes` (Bayesian AR(1)), :mod:`~nof1.analysis.classic` (Welch and paired
t), :mod:`~nof1.analysis.nonoverlap` (NAP). The functions are importable from here; their
modules (and scipy) load on first use, so importing the package stays cheap.

Examples
--------
>>> from nof1.analysis import welch_t
>>> welch_t([4, 5, 6, 7, 9, 8], [1, 1, 1, 0, 0, 0]).estimate
-3.0
"""

from __future__ import annotations

import importlib

__all__ = [
    "Effect",
    "METHOD_KEYS",
    "bayes_ar1",
    "fit_gls_ar1",
    "gls_ar1",
    "gls_ar1_trend",
    "nap",
    "paired_periods",
    "profile_reml",
    "welch_t",
]

_LAZY = {
    "Effect": "effect",
    "METHOD_KEYS": "effect",
    "fit_gls_ar1": "ar1",
    "gls_ar1": "ar1",
    "gls_ar1_trend": "ar1",
    "profile_reml": "ar1",
    "bayes_ar1": "bayes",
    "welch_t": "classic",
    "paired_periods": "classic",
    "nap": "nonoverlap",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"nof1.analysis.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'nof1.analysis' has no attribute {name!r}")
