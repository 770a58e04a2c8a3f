"""The posterior of the Bayesian AR(1) model (:mod:`nof1.analysis.bayes`), for many series at once.

Same model as the GLS AR(1) fit; priors flat on b, ``1/sigma`` on sigma and uniform on phi
in (-1, 1). Given phi everything is conjugate: integrating b and sigma out leaves
``p(phi | y) ∝ exp(l_R(phi))``, the restricted likelihood, and given phi, b1 is Student-t
with ``n - p`` degrees of freedom, location ``b1(phi)`` (GLS) and scale
``sqrt(S²/(n - p) [(XᵀR⁻¹X)⁻¹]_11)``. The posterior of b1 is the mixture of these t
distributions over phi; the only numerical step is the one-dimensional integral over phi.

It is taken in ``u = atanh(phi)`` with the Jacobian ``dphi/du = 1 - phi²``, by the midpoint
rule: a first pass of 96 cells over ``|u| <= 6`` finds where the posterior has mass (density
above e^-40 of its peak), and ``n_grid`` midpoints cover that range plus one cell either
side. The integrand is smooth, so the midpoint rule converges geometrically. phi is confined
to ``|phi| <= tanh(6) = 0.999988``; the prior mass left out is 1.2e-5. Built on the REML
pieces of :class:`~nof1.analysis.ar1_batch.Ar1Batch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from nof1.analysis.ar1_batch import U_MAX, Ar1Batch

__all__ = ["BatchPosterior", "posterior_ar1_batch"]

_COARSE_CELLS = 96  # first pass over atanh(phi) in [-6, 6], cells of width 0.125
_LOG_DROP = 40.0  # cells with posterior density below e^-40 of the peak are left out
_DENSITY_POINTS = 121  # enough for a smooth curve in the report, small in results.json

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

        What the ``bayes_ar1`` kernel reports as ``density`` (``{"x": [...], "y": [...]}``).
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
        # Halley's error after a step of h is about K h³ with K ≈ 0.5 / sd² near a tail
        # quantile (a t or normal CDF): a step with h³ < 1e-3 tol sd² leaves an error far
        # below tol, so no further step is taken to see it (one CDF evaluation fewer).
        sd2 = np.nan_to_num(self.sd) ** 2
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
            step = np.abs(new - x[todo])
            cubic = inside & (step**3 < 1e-3 * tol[todo] * sd2[todo])
            done = (step <= close) | cubic | (hi[todo] - lo[todo] <= close)
            x[todo] = new
            todo = todo[~done]
        return x


def posterior_ar1_batch(batch: Ar1Batch, n_grid: int = 100) -> BatchPosterior:
    """Posterior of b1 for every series of ``batch``, on the grids ``bayes_ar1`` uses.

    Parameters
    ----------
    batch : Ar1Batch
        The series (fitted without a trend term, as ``bayes_ar1``).
    n_grid : int, default 100
        Grid points over phi (midpoint rule on atanh(phi), where the posterior has mass).
        Against 3 200 points, 100 give the mean, sd, 2.5% and 97.5% quantiles within
        2.3e-7 posterior sds and P(b1 < 0) within 2.3e-7 of itself, on series of 6 to 400
        days with phi from -0.9 to 0.99 and up to 30% of days missing (200 points: 5.6e-8;
        the error falls as 1/n_grid² in short series, faster in long ones). The kernel's
        time is nearly proportional to n_grid, and it was the largest part of a patient's.

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
    coarse = -U_MAX + (np.arange(_COARSE_CELLS) + 0.5) * (2 * U_MAX / _COARSE_CELLS)
    log_post = batch.profile(np.tanh(coarse)).loglik + _log_jacobian(coarse)
    log_post = np.where(np.isnan(log_post), -np.inf, log_post)
    inside = log_post >= log_post.max(axis=1, keepdims=True) - _LOG_DROP
    first = np.argmax(inside, axis=1)
    last = coarse.size - 1 - np.argmax(inside[:, ::-1], axis=1)
    step = 2 * U_MAX / _COARSE_CELLS
    lo = np.maximum(-U_MAX, coarse[first] - step)[:, None]
    hi = np.minimum(U_MAX, coarse[last] + step)[:, None]
    u = lo + (np.arange(n_grid) + 0.5) * ((hi - lo) / n_grid)  # midpoints
    prof = batch.profile(np.tanh(u))
    log_w = prof.loglik + _log_jacobian(u)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    df = np.where(batch.ok, batch.df, np.nan)
    return BatchPosterior(
        w / w.sum(axis=1, keepdims=True), prof.estimate, prof.scale, np.tanh(u), df, batch.reason
    )


def _log_jacobian(u: np.ndarray) -> np.ndarray:
    """log dphi/du = log(1 - tanh(u)²) = -2 log cosh(u), computed without overflow."""
    a = np.abs(u)
    return -2.0 * (a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0))
