"""The GLS AR(1) kernels: treated minus control, with AR(1) errors over calendar days (REML).

``gls_ar1`` fits ``y = b0 + b1 treated + e`` on each row's compared days as R
``nlme::gls(y ~ treat, correlation = corAR1(form = ~ day), method = "REML")``;
``gls_ar1_trend`` adds a linear day term (``y ~ treat + day``, a sensitivity analysis).
Inference uses the t distribution with n - p degrees of freedom given the REML phi, as
``summary()`` of an nlme gls fit does. Days not compared (arm -1) and missing days are gaps,
handled exactly by ``phi^gap``. The fit itself is :class:`~nof1.analysis.ar1_batch.Ar1Batch`.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.ar1_batch import Ar1Batch
from nof1.analysis.registry import Estimates, Trials

__all__ = ["ar1_batch", "ar1_fit", "gls_ar1", "gls_ar1_trend"]

_FIELDS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value", "phi")


def ar1_batch(trials: Trials, trend: bool = False) -> Ar1Batch:
    """The AR(1) sufficient statistics of the compared days of every row, built once per
    :class:`Trials` and model (gls_ar1 and bayes_ar1 share them)."""
    key = ("ar1_batch", trend)
    if key not in trials.cache:
        compared = trials.arm >= 0
        used = compared.any(axis=0)  # days no row compares add nothing but work
        y = np.where(compared, trials.y, np.nan)[:, used]
        arm = trials.arm[:, used]
        like = trials.cache.get(("ar1_batch", False)) if trend else None  # shares its sums
        trials.cache[key] = Ar1Batch(y, np.asarray(trials.day)[used], arm == 1, trend, like)
    return trials.cache[key]


def ar1_fit(trials: Trials, trend: bool = False):
    """The REML fit of every row (:meth:`Ar1Batch.fit`), once per :class:`Trials` and model
    (gls_ar1 and gls_ar1_kr share it)."""
    key = ("ar1_fit", trend)
    if key not in trials.cache:
        trials.cache[key] = ar1_batch(trials, trend).fit(trials.alpha)
    return trials.cache[key]


def _estimates(method: str, trials: Trials, trend: bool) -> Estimates:
    fit = ar1_fit(trials, trend)
    values = {k: getattr(fit, k) for k in _FIELDS}
    return Estimates(method, values, np.array(fit.reason, dtype=object))


def gls_ar1(trials: Trials) -> Estimates:
    """Treated minus control by GLS with AR(1) errors over calendar days (REML).

    Parameters
    ----------
    trials : Trials
        Uses ``y``, ``day``, ``arm`` (compared days: 1 treated, 0 control) and ``alpha``.

    Returns
    -------
    Estimates
        ``estimate`` = b1, ``se`` = sqrt of its entry of ``sigma² (XᵀR⁻¹X)⁻¹``,
        ``df = n - 2``, t-based ``ci_low``/``ci_high``, two-sided ``p_value`` and the REML
        ``phi``. A reason instead where an arm has fewer than 2 observed days, ``n - p < 2``,
        the outcome is constant, or the model fits exactly.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> y = np.array([[5, 6, 3, 2, 6, 7, 2, 3.0]])
    >>> arm = np.array([[0, 0, 1, 1, 0, 0, 1, 1]], dtype=np.int8)
    >>> t = Trials(y, np.array([1, 2, 3, 4, 5, 6, 7, 9]), arm, np.zeros_like(arm),
    ...            np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = gls_ar1(t).effect(0)
    >>> e.estimate < 0, e.df
    (True, 6.0)
    """
    return _estimates("gls_ar1", trials, trend=False)


def gls_ar1_trend(trials: Trials) -> Estimates:
    """As :func:`gls_ar1` with a linear day term: ``y ~ treat + day``; ``df = n - 3``."""
    return _estimates("gls_ar1_trend", trials, trend=True)
