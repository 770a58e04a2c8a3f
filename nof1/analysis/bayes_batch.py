"""The Bayesian AR(1) posterior of :mod:`nof1.analysis.bayes` for many series at once.

Built on the batched REML pieces of :class:`~nof1.analysis.ar1_batch.Ar1Batch`: the same
coarse pass, the same per-series grid over atanh(phi) and the same mixture of Student-t
distributions as :func:`~nof1.analysis.bayes.bayes_ar1`, so the numbers agree to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from nof1.analysis.ar1 import _U_MAX
from nof1.analysis.ar1_batch import Ar1Batch
from nof1.analysis.bayes import _COARSE_CELLS, _LOG_DROP, _log_jacobian, _midpoints
from nof1.analysis.effect import Effect

__all__ = ["BatchPosterior", "bayes_ar1_batch", "posterior_ar1_batch"]


@dataclass(frozen=True)
class BatchPosterior:
    """Posterior of b1 for m series: the mixture over phi ``sum_k w_k (loc_k + scale_k t_df)``.

    Attributes
    ----------
    weight, loc, scale, phi : ndarray, shape (m, n_grid)
        Mixture weights (summing to 1), Student-t locations and scales, grid values of phi.
    df : ndarray, shape (m,)
        ``n - p``. Rows of series that could not be fitted are NaN.
    reason : list of str or None
    """

    weight: np.ndarray
    loc: np.ndarray
    scale: np.ndarray
    phi: np.ndarray
    df: np.ndarray
    reason: list

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean of b1."""
        return np.sum(self.weight * self.loc, axis=1)

    @property
    def sd(self) -> np.ndarray:
        """Posterior sd of b1 (NaN when df <= 2, where it does not exist)."""
        nu = np.where(self.df > 2, self.df, np.nan)[:, None]
        second = np.sum(self.weight * (self.scale**2 * nu / (nu - 2) + self.loc**2), axis=1)
        return np.sqrt(np.maximum(second - self.mean**2, 0.0))

    def cdf(self, x) -> np.ndarray:
        """P(b1 <= x) per series; ``x`` a scalar or one value per series."""
        z = (np.reshape(x, (-1, 1)) - self.loc) / self.scale
        return np.sum(self.weight * special.stdtr(self.df[:, None], z), axis=1)

    def sf(self, x) -> np.ndarray:
        """P(b1 > x) per series, without the cancellation of 1 - cdf."""
        z = (self.loc - np.reshape(x, (-1, 1))) / self.scale
        return np.sum(self.weight * special.stdtr(self.df[:, None], z), axis=1)

    def quantile(self, q: float) -> np.ndarray:
        """The q-quantile per series, by safeguarded Newton steps on the mixture CDF."""
        comp = self.loc + self.scale * special.stdtrit(self.df[:, None], q)
        lo, hi = comp.min(axis=1), comp.max(axis=1)
        x = np.sum(self.weight * comp, axis=1)
        tol = 1e-12 * (hi - lo)
        spread = hi - lo > 1e-12 * np.maximum(1.0, np.abs(lo))
        x = np.where(spread, x, lo)
        todo = np.flatnonzero(spread)
        for _ in range(100):
            if not todo.size:
                break
            w, loc, scale = self.weight[todo], self.loc[todo], self.scale[todo]
            nu = self.df[todo, None]
            z = (x[todo, None] - loc) / scale
            f = np.sum(w * special.stdtr(nu, z), axis=1) - q
            log_pdf = (
                special.gammaln((nu + 1) / 2)
                - special.gammaln(nu / 2)
                - 0.5 * np.log(nu * np.pi)
                - (nu + 1) / 2 * np.log1p(z**2 / nu)
            )
            density = np.sum(w * np.exp(log_pdf) / scale, axis=1)
            lo[todo] = np.where(f < 0, x[todo], lo[todo])
            hi[todo] = np.where(f < 0, hi[todo], x[todo])
            with np.errstate(divide="ignore", invalid="ignore"):
                new = x[todo] - f / density
            outside = ~((new > lo[todo]) & (new < hi[todo]))
            new = np.where(outside, 0.5 * (lo[todo] + hi[todo]), new)
            done = (np.abs(new - x[todo]) <= tol[todo]) | (hi[todo] - lo[todo] <= tol[todo])
            x[todo] = new
            todo = todo[~done]
        return x


def posterior_ar1_batch(batch: Ar1Batch, n_grid: int = 200) -> BatchPosterior:
    """Posterior of b1 for every series of ``batch``, on the grids ``bayes_ar1`` uses.

    Parameters
    ----------
    batch : Ar1Batch
        The series (fitted without a trend term, as ``bayes_ar1``).
    n_grid : int, default 200
        Grid points over phi (midpoint rule on atanh(phi), where the posterior has mass).

    Returns
    -------
    BatchPosterior
        NaN rows for series that cannot be fitted.

    Examples
    --------
    >>> day = np.arange(1, 41)
    >>> treat = (day - 1) // 10 % 2
    >>> Y = 50 - 5 * treat + np.random.default_rng(0).normal(0, 3, (3, 40))
    >>> post = posterior_ar1_batch(Ar1Batch(Y, day, treat), n_grid=50)
    >>> bool(np.all(post.cdf(0.0) > 0.99)), post.weight.shape
    (True, (3, 50))
    """
    coarse = _midpoints(-_U_MAX, _U_MAX, _COARSE_CELLS)
    log_post = batch.profile(np.tanh(coarse)).loglik + _log_jacobian(coarse)
    log_post = np.where(np.isnan(log_post), -np.inf, log_post)
    inside = log_post >= log_post.max(axis=1, keepdims=True) - _LOG_DROP
    first = np.argmax(inside, axis=1)
    last = coarse.size - 1 - np.argmax(inside[:, ::-1], axis=1)
    step = 2 * _U_MAX / _COARSE_CELLS
    lo = np.maximum(-_U_MAX, coarse[first] - step)[:, None]
    hi = np.minimum(_U_MAX, coarse[last] + step)[:, None]
    u = lo + (np.arange(n_grid) + 0.5) * ((hi - lo) / n_grid)  # as bayes._midpoints
    prof = batch.profile(np.tanh(u))
    log_w = prof.loglik + _log_jacobian(u)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    df = np.where(batch.ok, batch.df, np.nan)
    return BatchPosterior(
        w / w.sum(axis=1, keepdims=True), prof.estimate, prof.scale, np.tanh(u), df, batch.reason
    )


def bayes_ar1_batch(
    Y, day, treat, better: str, mcid: float | None, alpha: float = 0.05, n_grid: int = 200
) -> list[Effect]:
    """``bayes_ar1`` for every row of Y at once.

    Parameters
    ----------
    Y, day, treat
        As for :class:`Ar1Batch`.
    better, mcid, alpha, n_grid
        As for :func:`~nof1.analysis.bayes.bayes_ar1`.

    Returns
    -------
    list of Effect
        What ``bayes_ar1`` returns for each series: same grids, same mixture; the interval
        by Newton steps instead of Brent's method, both to 1e-12 of the bracket.

    Examples
    --------
    >>> day = np.arange(1, 13)
    >>> y = np.array([[6, 5, 3, 2, 6, 7, 3, 2, 5, 6, 2, 3.0]])
    >>> (e,) = bayes_ar1_batch(y, day, [0, 0, 1, 1] * 3, better="lower", mcid=1.0)
    >>> e.extra["p_benefit"] > 0.9, e.ci_low < e.estimate < e.ci_high
    (True, True)
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher'; got {better!r}")
    if mcid is not None and not mcid >= 0:
        raise ValueError(f"mcid must be a non-negative number or None; got {mcid!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
    post = posterior_ar1_batch(Ar1Batch(Y, day, treat), n_grid)
    sign = 1.0 if better == "lower" else -1.0  # P(benefit) = P(sign * b1 < 0)
    p_benefit = post.cdf(0.0) if sign > 0 else post.sf(0.0)
    p_mcid = [None] * len(p_benefit)
    if mcid is not None:
        p_mcid = post.cdf(-mcid) if sign > 0 else post.sf(mcid)
    columns = (
        post.mean,
        post.sd,
        post.quantile(alpha / 2),
        post.quantile(1 - alpha / 2),
        p_benefit,
        p_mcid,
        np.sum(post.weight * post.phi, axis=1),
    )
    out = []
    for i, (mean, sd, low, high, benefit, clinical, phi) in enumerate(zip(*columns, strict=True)):
        if post.reason[i] is not None:
            out.append(Effect.unavailable("bayes_ar1", post.reason[i]))
            continue
        extra = {"p_benefit": benefit, "p_mcid": clinical, "phi": phi}
        out.append(Effect("bayes_ar1", mean, sd, None, low, high, None, extra))
    return out
