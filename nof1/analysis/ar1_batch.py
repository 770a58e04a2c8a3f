"""GLS with AR(1) errors over calendar days with gaps, fitted by exact REML to many series at once.

Model: ``y = X b + e`` with ``cov(e_i, e_j) = sigma² phi^|day_i - day_j|`` (integer days), the
model of R ``nlme::gls(y ~ ..., correlation = corAR1(form = ~ day), method = "REML")``. For
unequally spaced days nlme switches corAR1 to ``corARMA(p = 1)`` on the integer lags, which is
the same ``phi^lag`` correlation. The REML criterion (Harville 1977, sigma² profiled out, on
the scale of R's ``logLik()``) is ``-2 l_R = N (log 2π + 1 + log(S²/N)) + log|R| +
log|XᵀR⁻¹X|`` with ``N = n - p``.

phi is found on the atanh scale: a coarse grid over ``|phi| <= tanh(6)`` locates the global
maximum, then safeguarded Newton steps refine it, for every series at once: no Python loop per
series and no n x n matrix. One series is one row, so a patient, a series of patients and a
power simulation run the same code (:mod:`nof1.analysis.ar1` are the kernels);
:mod:`nof1.analysis.bayes_batch` builds the Bayesian posterior on :meth:`Ar1Batch.profile`.

Why it is fast: sufficient statistics. The Markov property of the AR(1) process whitens in
closed form: an observed day i whose
previous observed day lies g days earlier into ``z_i = (v_i - rho v_p) / sqrt(1 - rho²)`` with
``rho = phi^g``. Every REML quantity is an inner product of whitened columns, and with
``s = sign(rho)``, ``c = 1 - |rho|`` and ``d = a_i - s a_p``::

    (a_i - rho a_p)(b_i - rho b_p) = d_a d_b + s c (d_a b_p + a_p d_b) + c² a_p b_p

(this form keeps full precision as ``|phi| -> 1``, where the plain expansion cancels). Summing
these pieces per gap length once, in O(n) per series, leaves the Gram matrix
``[X y]ᵀ R⁻¹ [X y]`` at any phi as a weighted sum over the few distinct gaps. A Cholesky
factor of that small matrix, with the treatment column last among X, gives the residual sum
of squares (its last pivot), ``log|XᵀR⁻¹X|``, b1 and ``[(XᵀR⁻¹X)⁻¹]_11`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nof1.analysis.ar1_gram import (
    RemlPieces,
    check_series,
    cholesky_packed,
    gap_sums,
    gram,
    packed_index,
    reml,
    scatter,
)
from nof1.analysis.inference import check_alpha, t_inference

__all__ = ["COARSE", "U_MAX", "Ar1Batch", "BatchFit", "BatchProfile"]

#: phi is searched over ``|phi| <= tanh(6) = 0.999988``; atanh(phi) is the optimisation scale.
U_MAX = 6.0
#: The coarse grid over atanh(phi) that locates the REML maximum.
COARSE = np.linspace(-U_MAX, U_MAX, 49)
#: A second local maximum of the coarse grid this close (log-likelihood) to the best is refined
#: too: between grid points a peak can rise by ~|f''| h²/8 above its grid value (h = 0.25).
_RIVAL = 1.0


@dataclass(frozen=True)
class BatchFit:
    """REML fits of m series; every field is an array of shape (m,), NaN where a fit failed.

    Attributes
    ----------
    estimate, se, df, ci_low, ci_high, p_value, phi
        As the fields of the ``gls_ar1`` kernel (``phi`` = REML phi).
    sigma2, loglik, n
        REML residual variance, maximised REML log-likelihood, observations used.
    reason : list of str or None
        Why a series could not be fitted (the messages of ``gls_ar1``); None where it was.
    """

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    phi: np.ndarray
    sigma2: np.ndarray
    loglik: np.ndarray
    n: np.ndarray
    reason: list


class BatchProfile(NamedTuple):
    """REML pieces per series and phi, shape (m, n_phi): what the Bayesian mixture needs.

    ``loglik`` is the REML log-likelihood (R's ``logLik`` at that phi); ``estimate`` is b1(phi) and
    ``scale`` its t scale ``sqrt(S²/(n - p) [(XᵀR⁻¹X)⁻¹]_11)``.
    """

    loglik: np.ndarray
    estimate: np.ndarray
    scale: np.ndarray


class Ar1Batch:
    """Sufficient statistics of m series for the GLS AR(1) model ``y ~ 1 [+ day] + treat``.

    Build once (O(m n)), then fit by REML or profile at any phi (O(gaps) per phi).

    Parameters
    ----------
    Y : array_like, shape (m, n)
        One series per row on a common day grid; NaN marks a day that is not used (missing,
        or excluded from the comparison): a gap, handled exactly by phi^gap.
    day : array_like, shape (n,)
        Integer calendar day of each column; unique, any order.
    treat : array_like, shape (m, n) or (n,)
        1 on active days, 0 on placebo days (ignored where Y is NaN).
    trend : bool, default False
        Add a linear day term, as the ``gls_ar1_trend`` kernel.
    like : Ar1Batch, optional
        The batch without the trend term of these same series: its sums are reused.

    Attributes
    ----------
    ok : ndarray of bool, shape (m,)
        Series that can be fitted.
    reason : list of str or None
        Why a series cannot be fitted, in the words of ``gls_ar1``; None if it can.
    n, df : ndarray of int, shape (m,)
        Observations used, and ``n - p``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> day = np.arange(1, 41)
    >>> treat = (day - 1) // 10 % 2
    >>> Y = 50 - 5 * treat + rng.normal(0, 3, (3, 40))
    >>> Y[0, 5:9] = np.nan  # missing days are gaps
    >>> batch = Ar1Batch(Y, day, treat)
    >>> fit = batch.fit()
    >>> fit.df.tolist(), bool(np.all(fit.p_value < 0.05))
    ([34.0, 38.0, 38.0], True)
    """

    def __init__(self, Y, day, treat, trend: bool = False, like: Ar1Batch | None = None):
        Y, day, treat = check_series(Y, day, treat)
        mask = ~np.isnan(Y)
        self.p = 3 if trend else 2
        self.n = mask.sum(axis=1)
        self.df = self.n - self.p
        count = np.maximum(self.n, 1)
        # Centring y (and day) per series changes only the intercept; the sums are then
        # far better conditioned.
        centre = np.where(mask, Y, 0.0).sum(axis=1) / count
        columns = [mask.astype(float)]
        if trend:
            day_centre = (mask * day).sum(axis=1) / count
            columns.append(np.where(mask, day - day_centre[:, None], 0.0))
        columns.append(np.where(mask, treat, 0.0))
        columns.append(np.where(mask, Y - centre[:, None], 0.0))
        # Without the trend the columns are [1, treat, y]: the same, bar the day column.
        known = (like._stats, (0, 2, 3)) if trend and like is not None and like.p == 2 else None
        self._stats = gap_sums(np.stack(columns), mask, day, known)
        self.reason = self._reasons(Y, mask, treat)
        self.ok = np.array([r is None for r in self.reason], dtype=bool)

    def _reasons(self, Y, mask, treat) -> list:
        """The checks of ``gls_ar1``, in its order, for every series at once."""
        n_active = (mask & (treat == 1)).sum(axis=1)
        n_placebo = self.n - n_active
        constant = np.where(mask, Y, -np.inf).max(axis=1) <= np.where(mask, Y, np.inf).min(axis=1)
        # Ordinary least squares (phi = 0) reveals a singular design or an exact fit.
        ols = gram(self._stats, np.zeros(1))[0][:, 0]
        pivots = cholesky_packed(ols, self.p + 1)[0]
        diag = np.array([ols[:, packed_index(self.p + 1)[j, j]] for j in range(self.p + 1)])
        with np.errstate(invalid="ignore"):
            singular = np.any(pivots[:-1] <= 1e-10 * diag[:-1], axis=0)
            # Relative to the total sum of squares: rounding leaves about 1e-16 of it in an
            # exact fit (the single-series check, by least squares, used 1e-20).
            exact = pivots[-1] <= 1e-12 * diag[-1]
        reasons = []
        for i in range(Y.shape[0]):
            if min(n_active[i], n_placebo[i]) < 2:
                reasons.append(
                    "needs at least 2 observed days in each condition; got "
                    f"{n_active[i]} active and {n_placebo[i]} placebo"
                )
            elif self.df[i] < 2:
                reasons.append(f"needs at least {self.p + 2} observed days; got {self.n[i]}")
            elif constant[i]:
                reasons.append("the outcome is constant on the compared days")
            elif singular[i]:
                reasons.append(
                    "the design is singular (treatment cannot be separated from the trend)"
                )
            elif exact[i]:
                reasons.append("the model fits the data exactly; no residual variation to estimate")
            else:
                reasons.append(None)
        return reasons

    def _profile(self, rows: np.ndarray, phis: np.ndarray) -> RemlPieces:
        """REML pieces of the series ``rows`` at phis (P,) for all, or (len(rows), P) each."""
        df = self.df[rows, None].astype(float)
        if not len(rows):  # every series failed its checks (e.g. nearly all days missing)
            return RemlPieces(*(np.empty((0, phis.shape[-1])) for _ in RemlPieces._fields))
        if phis.ndim == 1:
            return reml(*gram(self._stats.take(rows), phis), df, self.p)
        # Per-series grids: chunk the rows so the weight array stays small.
        size = max(1, 2_000_000 // max(1, phis.shape[1] * self._stats.sums.shape[1]))
        parts = [
            reml(
                *gram(self._stats.take(rows[i : i + size]), phis[i : i + size]),
                df[i : i + size],
                self.p,
            )
            for i in range(0, len(rows), size)
        ]
        return RemlPieces(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))

    def gram(self, rows: np.ndarray, phis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Packed Gram matrices ``[X y]ᵀ R⁻¹ [X y]`` (len(rows), P, q) and ``log|R|``
        (len(rows), P) of the series ``rows`` at phis (len(rows), P): what the small-sample
        corrections of :mod:`nof1.analysis.ar1_kr` differentiate."""
        return gram(self._stats.take(rows), phis)

    def profile(self, phis) -> BatchProfile:
        """REML log-likelihood, b1 and its scale at each phi, for every series.

        Parameters
        ----------
        phis : array_like, shape (n_phi,) or (m, n_phi)
            One grid for all series, or a grid per series; values in (-1, 1).

        Returns
        -------
        BatchProfile
            Arrays of shape (m, n_phi); NaN rows for series that cannot be fitted.
        """
        phis = np.asarray(phis, dtype=float)
        rows = np.flatnonzero(self.ok)
        prof = self._profile(rows, phis if phis.ndim == 1 else phis[rows])
        scale = np.sqrt(prof.rss / self.df[rows, None] * prof.var_factor)
        return BatchProfile(
            *(scatter(rows, a, self.ok.size) for a in (prof.loglik, prof.estimate, scale))
        )

    def _reml_u(self, rows: np.ndarray) -> np.ndarray:
        """REML atanh(phi) of the series ``rows``: coarse grid, then safeguarded Newton steps.

        A short series' profile can have two maxima of nearly equal height (one at a negative
        phi, one at the bound), and the coarse grid can put the lower one first: where a second
        local maximum of the grid comes within ``_RIVAL`` of the best, both are refined and the
        higher kept.
        """
        values = self._profile(rows, np.tanh(COARSE)).loglik
        values = np.where(np.isnan(values), -np.inf, values)
        k = np.argmax(values, axis=1)
        peaks = _local_maxima(values)
        peaks[np.abs(np.arange(COARSE.size) - k[:, None]) <= 1] = False  # the best's bracket
        rival = np.argmax(np.where(peaks, values, -np.inf), axis=1)
        pos = np.arange(rows.size)
        close = np.flatnonzero(peaks[pos, rival] & (values[pos, rival] > values[pos, k] - _RIVAL))
        u = self._newton(rows, k)
        if close.size:
            both = np.concatenate([u[close], self._newton(rows[close], rival[close])])
            heights = self._profile(np.tile(rows[close], 2), np.tanh(both)[:, None]).loglik[:, 0]
            u[close] = np.where(heights[close.size :] > heights[: close.size], both[close.size :],
                                both[: close.size])  # fmt: skip
        return u

    def _newton(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Safeguarded Newton steps from the coarse grid's points ``k``, one per series."""
        lo = COARSE[np.maximum(k - 1, 0)]
        hi = COARSE[np.minimum(k + 1, COARSE.size - 1)]
        u = COARSE[k]
        todo, eps = np.arange(rows.size), 1e-4
        for _ in range(60):
            if not todo.size:
                break
            ut = u[todo]
            f_m, f_0, f_p = self._profile(
                rows[todo], np.tanh(ut[:, None] + [-eps, 0, eps])
            ).loglik.T
            d1, d2 = (f_p - f_m) / (2 * eps), (f_p - 2 * f_0 + f_m) / eps**2
            at_bound = (np.abs(ut) >= U_MAX) & (d1 * ut > 0)  # still rising at the bound
            lo[todo] = np.where(d1 > 0, ut, lo[todo])
            hi[todo] = np.where(d1 > 0, hi[todo], ut)
            with np.errstate(divide="ignore", invalid="ignore"):
                new = np.where(d2 < 0, ut - d1 / d2, np.nan)
            inside = (lo[todo] <= new) & (new <= hi[todo])
            new = np.where(inside, new, 0.5 * (lo[todo] + hi[todo]))  # else bisect
            u[todo] = np.where(at_bound, ut, new)
            todo = todo[~(at_bound | (np.abs(new - ut) < 1e-10))]
        return u

    def fit(self, alpha: float = 0.05) -> BatchFit:
        """REML fit of every series: the numbers of ``gls_ar1`` (``gls_ar1_trend``).

        Parameters
        ----------
        alpha : float, default 0.05
            Intervals have level 1 - alpha.

        Returns
        -------
        BatchFit
        """
        check_alpha(alpha)
        rows = np.flatnonzero(self.ok)
        phi = np.tanh(self._reml_u(rows))
        prof = self._profile(rows, phi[:, None])
        df = self.df[rows].astype(float)
        sigma2 = prof.rss[:, 0] / df
        estimate = prof.estimate[:, 0]
        se = np.sqrt(sigma2 * prof.var_factor[:, 0])
        ci_low, ci_high, p_value = t_inference(estimate, se, df, alpha)
        values = (estimate, se, df, ci_low, ci_high, p_value, phi, sigma2, prof.loglik[:, 0])
        m = self.ok.size
        return BatchFit(*(scatter(rows, v, m) for v in values), self.n, self.reason)


def _local_maxima(values: np.ndarray) -> np.ndarray:
    """Where each row of ``values`` is at least its neighbours (ends: their one neighbour)."""
    left = np.empty_like(values, dtype=bool)
    right = np.empty_like(left)
    left[:, 0] = right[:, -1] = True
    left[:, 1:] = values[:, 1:] >= values[:, :-1]
    right[:, :-1] = values[:, :-1] >= values[:, 1:]
    return left & right & np.isfinite(values)
