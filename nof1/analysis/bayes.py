"""The bayes_ar1 kernel: the posterior of treated minus control under the GLS AR(1) model.

The model, priors and the integral over phi are described in :mod:`nof1.analysis.bayes_batch`;
the compared days are those of :func:`nof1.analysis.ar1.gls_ar1` (the two kernels share the
sufficient statistics of a :class:`~nof1.analysis.registry.Trials`).
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.ar1 import ar1_batch
from nof1.analysis.bayes_batch import posterior_ar1_batch
from nof1.analysis.inference import check_alpha
from nof1.analysis.registry import Estimates, Trials

__all__ = ["bayes_ar1"]


def bayes_ar1(trials: Trials) -> Estimates:
    """Posterior of treated minus control under the GLS AR(1) model, integrated over phi.

    Parameters
    ----------
    trials : Trials
        Uses ``y``, ``day``, ``arm``, ``better`` (direction of benefit), ``mcid``
        (NaN: no ``p_mcid``), ``alpha``, ``n_grid`` (grid points over phi) and ``density``.

    Returns
    -------
    Estimates
        ``estimate`` = posterior mean of b1, ``ci_low``/``ci_high`` = equal-tailed interval
        with probability 1 - alpha, ``se`` = posterior sd (NaN if n - p <= 2);
        ``p_benefit`` = P(b1 < 0) where lower is better, else P(b1 > 0); ``p_mcid`` =
        P(b1 <= -mcid) or P(b1 >= mcid); ``phi`` = posterior mean of phi; ``density`` =
        ``{"x": [...], "y": [...]}``, the posterior density of b1 on 121 points over its
        central 99.9% (None unless ``trials.density``). With a known ``trials.truth`` (a
        simulation) ``covered`` (whether the interval holds it) instead of the interval's
        ends and ``p_mcid``. Reasons as :func:`gls_ar1`'s.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> y = np.array([[6, 5, 3, 2, 6, 7, 3, 2, 5, 6.0]])
    >>> arm = np.array([[0, 0, 1, 1, 0, 0, 1, 1, 0, 0]], dtype=np.int8)
    >>> t = Trials(y, np.array([1, 2, 3, 4, 5, 6, 7, 8, 10, 11]), arm, np.zeros_like(arm),
    ...            np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = bayes_ar1(t).effect(0)
    >>> e.estimate < 0, e.ci_low < e.estimate < e.ci_high, e.extra["p_benefit"] > 0.9
    (True, True, True)
    """
    alpha = trials.alpha
    check_alpha(alpha)
    better = np.asarray(trials.better, dtype=float)
    mcid = np.asarray(trials.mcid, dtype=float)
    if np.any(np.abs(better) != 1):
        raise ValueError(f"better must be +1 or -1 per row; got {sorted(set(better.tolist()))}")
    if np.any(mcid < 0):
        raise ValueError("mcid must be non-negative (NaN for none)")
    batch = ar1_batch(trials)
    post = posterior_ar1_batch(batch, trials.n_grid)
    lower = better < 0  # P(benefit) = P(b1 < 0) when lower is better
    values = {
        "estimate": post.mean,
        "se": post.sd,
        "p_benefit": _benefit_tail(post, lower, 0.0, 0.0),
        "phi": np.sum(post.weight * post.phi, axis=1),
    }
    nan = np.full(trials.m, np.nan)
    if np.isfinite(trials.truth):  # a simulation: whether the interval holds the truth
        at_truth = post.cdf(trials.truth)
        inside = (at_truth >= alpha / 2) & (at_truth <= 1 - alpha / 2)
        values |= {"ci_low": nan, "ci_high": nan, "p_mcid": nan}
        values["covered"] = np.where(np.isnan(at_truth), np.nan, inside)
    else:
        threshold = np.nan_to_num(mcid)
        p_mcid = _benefit_tail(post, lower, -threshold, threshold)
        values["ci_low"] = post.quantile(alpha / 2)
        values["ci_high"] = post.quantile(1 - alpha / 2)
        values["p_mcid"] = np.where(np.isnan(mcid), np.nan, p_mcid)
    ok = np.flatnonzero(batch.ok)
    values["density"] = np.full(trials.m, None, dtype=object)
    if trials.density and ok.size:
        values["density"][ok] = post.density(ok)
    return Estimates("bayes_ar1", values, np.array(batch.reason, dtype=object))


def _benefit_tail(post, lower: np.ndarray, below, above) -> np.ndarray:
    """``np.where(lower, post.cdf(below), post.sf(above))``, each tail found only on its
    rows (the t CDFs are most of the kernel's time)."""
    out = np.empty(lower.size)
    for rows, tail, at in (
        (np.flatnonzero(lower), "cdf", below),
        (np.flatnonzero(~lower), "sf", above),
    ):
        if rows.size:
            out[rows] = getattr(post.take(rows), tail)(np.broadcast_to(at, lower.shape)[rows])
    return out
