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
from nof1.analysis.bayes import (
    _COARSE_CELLS,
    _DENSITY_POINTS,
    _LOG_DROP,
    _check,
    _log_jacobian,
    _midpoints,
)
from nof1.analysis.effect import Effect

__all__ = ["BatchPosterior", "bayes_ar1_batch", "bayes_effects", "posterior_ar1_batch"]

_RTOL = 4 * np.finfo(float).eps
_PDF_CELLS = 2_000_000  # elements of the temporary arrays of pdf(): rows are done in chunks


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

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density of b1 at points ``x`` of shape (m, P): one row of points per series."""
        x = np.asarray(x, dtype=float)
        out = np.empty(x.shape)
        size = max(1, _PDF_CELLS // max(1, x.shape[1] * self.loc.shape[1]))
        for lo in range(0, x.shape[0], size):
            rows = slice(lo, lo + size)
            loc, scale = self.loc[rows, None, :], self.scale[rows, None, :]
            nu = self.df[rows, None, None]
            z = (x[rows, :, None] - loc) / scale
            log_c = (
                special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
            )
            density = np.exp(log_c - (nu + 1) / 2 * np.log1p(z**2 / nu)) / scale
            out[rows] = np.matmul(density, self.weight[rows, :, None])[..., 0]
        return out

    def density(self, rows, points: int = _DENSITY_POINTS) -> list[dict]:
        """The density of b1 on a grid over its central 99.9%, for the series ``rows``.

        What ``bayes_ar1`` reports as ``density`` (``{"x": [...], "y": [...]}``).
        """
        part = self.take(rows)
        x = np.linspace(part.quantile(0.0005), part.quantile(0.9995), points, axis=1)
        y = part.pdf(x)
        return [{"x": xs, "y": ys} for xs, ys in zip(x.tolist(), y.tolist(), strict=True)]

    def take(self, rows) -> BatchPosterior:
        """The posterior of the series ``rows`` only."""
        rows = np.asarray(rows, dtype=int)
        arrays = (self.weight, self.loc, self.scale, self.phi, self.df)
        return BatchPosterior(*(a[rows] for a in arrays), [self.reason[i] for i in rows])

    def quantile(self, q: float) -> np.ndarray:
        """The q-quantile per series, by safeguarded Halley steps on the mixture CDF.

        Halley's step uses the density's slope too (cheap beside the CDF): one or two
        evaluations of the CDF fewer than Newton's.
        """
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
            pdf = w * np.exp(log_pdf) / scale
            density = np.sum(pdf, axis=1)
            slope = np.sum(pdf * (-(nu + 1) * z / (nu + z**2)) / scale, axis=1)
            lo[todo] = np.where(f < 0, x[todo], lo[todo])
            hi[todo] = np.where(f < 0, hi[todo], x[todo])
            with np.errstate(divide="ignore", invalid="ignore"):  # Halley's step
                new = x[todo] - 2 * f * density / (2 * density**2 - f * slope)
            # The step inside the bracket (or within tol of it: a root at its end), else bisect.
            inside = (new >= lo[todo] - tol[todo]) & (new <= hi[todo] + tol[todo])
            new = np.where(inside, np.clip(new, lo[todo], hi[todo]), 0.5 * (lo[todo] + hi[todo]))
            # Done at the tolerance, or at the floats' resolution (brentq's rtol, 4 eps).
            close = np.maximum(tol[todo], _RTOL * np.abs(new))
            done = (np.abs(new - x[todo]) <= close) | (hi[todo] - lo[todo] <= close)
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
        What ``bayes_ar1`` returns for each series: same grids, same mixture; quantiles
        by Halley steps instead of Brent's method, both to 1e-12 of the bracket.

    Examples
    --------
    >>> day = np.arange(1, 13)
    >>> y = np.array([[6, 5, 3, 2, 6, 7, 3, 2, 5, 6, 2, 3.0]])
    >>> (e,) = bayes_ar1_batch(y, day, [0, 0, 1, 1] * 3, better="lower", mcid=1.0)
    >>> e.extra["p_benefit"] > 0.9, e.ci_low < e.estimate < e.ci_high, len(e.extra["density"]["x"])
    (True, True, 121)
    """
    _check(better, mcid, alpha)
    return bayes_effects(posterior_ar1_batch(Ar1Batch(Y, day, treat), n_grid), better, mcid, alpha)


def bayes_effects(post: BatchPosterior, better, mcid, alpha: float = 0.05) -> list[Effect]:
    """The ``bayes_ar1`` effects of every series of a posterior.

    Parameters
    ----------
    post : BatchPosterior
        From :func:`posterior_ar1_batch`.
    better : {"lower", "higher"} or sequence of them
        One for all series, or one per series.
    mcid : float or None, or sequence of them
        One for all series, or one per series.
    alpha : float, default 0.05

    Returns
    -------
    list of Effect
        As :func:`~nof1.analysis.bayes.bayes_ar1`, ``density`` included.
    """
    m = post.df.size
    better = np.broadcast_to(np.asarray(better, dtype=object), (m,))
    mcid = np.broadcast_to(np.asarray(mcid, dtype=object), (m,))
    for b, c in set(zip(better.tolist(), mcid.tolist(), strict=True)):
        _check(b, c, alpha)
    lower = better == "lower"  # P(benefit) = P(b1 < 0) when lower is better
    p_benefit = np.where(lower, post.cdf(0.0), post.sf(0.0))
    has_mcid = np.array([c is not None for c in mcid], dtype=bool)
    threshold = np.where(has_mcid, mcid, 0.0).astype(float)
    p_mcid = np.where(lower, post.cdf(-threshold), post.sf(threshold))
    ok = np.array([r is None for r in post.reason], dtype=bool)
    density = iter(post.density(np.flatnonzero(ok)))
    columns = (
        post.mean,
        post.sd,
        post.quantile(alpha / 2),
        post.quantile(1 - alpha / 2),
        p_benefit,
        np.where(has_mcid, p_mcid, np.nan),
        np.sum(post.weight * post.phi, axis=1),
    )
    out = []
    for i, (mean, sd, low, high, benefit, clinical, phi) in enumerate(zip(*columns, strict=True)):
        if not ok[i]:
            out.append(Effect.unavailable("bayes_ar1", post.reason[i]))
            continue
        extra = {
            "p_benefit": benefit,
            "p_mcid": clinical if has_mcid[i] else None,
            "phi": phi,
            "density": next(density),
        }
        out.append(Effect("bayes_ar1", mean, sd, None, low, high, None, extra))
    return out
