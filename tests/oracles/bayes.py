"""Bayesian version of the GLS AR(1) model: posterior of the effect, integrated over phi.

Same model as :func:`nof1.analysis.ar1.gls_ar1`; priors flat on b, ``1/sigma`` on sigma and
uniform on phi in (-1, 1). Given phi everything is conjugate, so the only numerical step is a
one-dimensional integral over phi, done on a fine grid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import optimize, special

from nof1.analysis.effect import Effect
from oracles.ar1 import _U_MAX, _design, _prepare, _profile, _unavailable_reason

__all__ = ["bayes_ar1"]

_COARSE_CELLS = 96  # first pass over atanh(phi) in [-6, 6], cells of width 0.125
_LOG_DROP = 40.0  # cells with posterior density below e^-40 of the peak are left out
_DENSITY_POINTS = 121  # enough for a smooth curve in the report, small in results.json


class _Mixture(NamedTuple):
    """Posterior of b1: sum_k w_k * (m_k + s_k * t_nu)."""

    w: np.ndarray
    m: np.ndarray
    s: np.ndarray
    nu: int
    phi: np.ndarray

    def cdf(self, x: float) -> float:
        return float(self.w @ special.stdtr(self.nu, (x - self.m) / self.s))

    def sf(self, x: float) -> float:
        return float(self.w @ special.stdtr(self.nu, (self.m - x) / self.s))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=float)[:, None] - self.m) / self.s
        nu = self.nu  # Student-t density, written out: scipy.stats is slow to import
        log_c = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
        return (np.exp(log_c - (nu + 1) / 2 * np.log1p(z**2 / nu)) / self.s) @ self.w

    def quantile(self, q: float) -> float:
        # The mixture quantile lies between the smallest and largest component quantiles.
        comp = self.m + self.s * special.stdtrit(self.nu, q)
        lo, hi = float(comp.min()), float(comp.max())
        if hi - lo <= 1e-12 * max(1.0, abs(lo)):
            return lo
        return optimize.brentq(lambda x: self.cdf(x) - q, lo, hi, xtol=1e-12 * (hi - lo))


def _log_jacobian(u: np.ndarray) -> np.ndarray:
    """log dphi/du = log(1 - tanh(u)²) = -2 log cosh(u), computed without overflow."""
    a = np.abs(u)
    return -2.0 * (a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0))


def _midpoints(lo: float, hi: float, cells: int) -> np.ndarray:
    return lo + (np.arange(cells) + 0.5) * ((hi - lo) / cells)


def _posterior(y: np.ndarray, X: np.ndarray, gaps: np.ndarray, n_grid: int) -> _Mixture:
    """Mixture over a phi grid placed where the posterior of phi has its mass."""
    coarse = _midpoints(-_U_MAX, _U_MAX, _COARSE_CELLS)
    log_post = _profile(y, X, gaps, np.tanh(coarse)).loglik + _log_jacobian(coarse)
    inside = np.flatnonzero(log_post >= np.nanmax(log_post) - _LOG_DROP)
    step = 2 * _U_MAX / _COARSE_CELLS
    lo = max(-_U_MAX, coarse[inside[0]] - step)
    hi = min(_U_MAX, coarse[inside[-1]] + step)
    u = _midpoints(lo, hi, n_grid)
    prof = _profile(y, X, gaps, np.tanh(u))
    log_w = prof.loglik + _log_jacobian(u)
    w = np.exp(log_w - log_w.max())
    n, p = X.shape
    scale = np.sqrt(prof.rss / (n - p) * prof.xrx_inv[:, 1, 1])
    return _Mixture(w / w.sum(), prof.beta[:, 1], scale, n - p, np.tanh(u))


def bayes_ar1(
    y,
    day,
    active,
    better: str,
    mcid: float | None,
    alpha: float = 0.05,
    n_grid: int = 100,
) -> Effect:
    """Posterior of active minus placebo under the GLS AR(1) model, integrated over phi.

    Parameters
    ----------
    y : array_like
        Outcome per day; NaN (missing) days are dropped.
    day : array_like
        Integer calendar day of each value (unique; gaps allowed).
    active : array_like of bool or 0/1
        1 on active days, 0 on placebo days.
    better : {"lower", "higher"}
        Direction of improvement of the outcome.
    mcid : float or None
        Minimal clinically important difference (positive, outcome units); None skips
        ``p_mcid``.
    alpha : float, default 0.05
        The equal-tailed credible interval has probability 1 - alpha.
    n_grid : int, default 100
        Grid points over phi for the integral.

    Returns
    -------
    Effect
        ``method="bayes_ar1"``: ``estimate`` = posterior mean of b1, ``ci_low``/``ci_high``
        = equal-tailed interval, ``se`` = posterior sd (None if n - p <= 2);
        ``extra``: ``p_benefit`` = P(b1 < 0) if better is "lower" else P(b1 > 0),
        ``p_mcid`` = P(b1 <= -mcid) or P(b1 >= mcid), ``phi`` = posterior mean of phi,
        ``density`` = ``{"x": [...], "y": [...]}``, the posterior density of b1 on 121
        points over its central 99.9% (the report plots it; nothing recomputes it).
        Unavailable (with ``reason``) in the same cases as :func:`~nof1.analysis.ar1.gls_ar1`.

    Notes
    -----
    With ``y | b, sigma, phi ~ N(X b, sigma² R(phi))``, ``p(b, sigma, phi) ∝ 1/sigma``
    (phi uniform) and ``N = n - p``, integrating b out gives
    ``(2π sigma²)^(-N/2) |R|^(-1/2) |XᵀR⁻¹X|^(-1/2) exp(-S²/(2 sigma²))``, and then sigma
    (``∫ sigma^(-N-1) exp(-S²/2sigma²) dsigma ∝ (S²)^(-N/2)``) gives::

        p(phi | y) ∝ |R|^(-1/2) |XᵀR⁻¹X|^(-1/2) (S²)^(-N/2) ∝ exp(l_R(phi)),

    the restricted likelihood of :func:`~nof1.analysis.ar1.profile_reml`. Given phi, b1 is
    Student-t with N degrees of freedom, location ``b1(phi)`` (GLS) and scale
    ``sqrt(S²/N [(XᵀR⁻¹X)⁻¹]_11)``. The posterior of b1 is the mixture of these t
    distributions over phi.

    The integral over phi is taken in ``u = atanh(phi)`` with the Jacobian
    ``dphi/du = 1 - phi²``, by the midpoint rule: a first pass of 96 cells over
    ``|u| <= 6`` finds where the posterior has mass (density above e^-40 of its peak), and
    ``n_grid`` midpoints cover that range plus one cell either side. The integrand is smooth,
    so the midpoint rule converges geometrically; tests check it against a 4000-point grid on
    phi itself. Quantiles invert the mixture CDF with Brent's method. As in the REML fit,
    phi is confined to ``|phi| <= tanh(6) = 0.999988``; the prior mass left out is 1.2e-5.

    Examples
    --------
    >>> e = bayes_ar1(y=[6, 5, 3, 2, 6, 7, 3, 2, 5, 6], day=[1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
    ...               active=[0, 0, 1, 1, 0, 0, 1, 1, 0, 0], better="lower", mcid=1.0)
    >>> e.estimate < 0, e.ci_low < e.estimate < e.ci_high, e.extra["p_benefit"] > 0.9
    (True, True, True)
    """
    _check(better, mcid, alpha)
    y, day, active = _prepare(y, day, active)
    X = np.column_stack([np.ones_like(y), active])
    reason = _unavailable_reason(y, X, active)
    if reason is not None:
        return Effect.unavailable("bayes_ar1", reason)
    y, X, gaps = _design(y, X, day)
    post = _posterior(y, X, gaps, n_grid)
    mean = float(post.w @ post.m)
    sd = None
    if post.nu > 2:
        second = post.w @ (post.s**2 * post.nu / (post.nu - 2) + post.m**2)
        sd = float(np.sqrt(max(second - mean**2, 0.0)))
    lower_better = better == "lower"
    p_benefit = post.cdf(0.0) if lower_better else post.sf(0.0)
    p_mcid = None
    if mcid is not None:
        p_mcid = post.cdf(-mcid) if lower_better else post.sf(mcid)
    return Effect(
        method="bayes_ar1",
        estimate=mean,
        se=sd,
        ci_low=post.quantile(alpha / 2),
        ci_high=post.quantile(1 - alpha / 2),
        extra={
            "p_benefit": p_benefit,
            "p_mcid": p_mcid,
            "phi": float(post.w @ post.phi),
            "density": _density(post),
        },
    )


def _check(better, mcid, alpha: float) -> None:
    """The argument checks of ``bayes_ar1`` (and of its batched twin)."""
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher'; got {better!r}")
    if mcid is not None and not mcid >= 0:
        raise ValueError(f"mcid must be a non-negative number or None; got {mcid!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")


def _density(post: _Mixture, points: int = _DENSITY_POINTS) -> dict:
    """The posterior density of b1 on a grid spanning its central 99.9%, for plotting."""
    x = np.linspace(post.quantile(0.0005), post.quantile(0.9995), points)
    return {"x": x.tolist(), "y": post.pdf(x).tolist()}
