"""The GLS AR(1) model of :mod:`nof1.analysis.ar1`, fitted to many series at once.

Same model, same exact REML and the same search for phi (coarse grid on atanh(phi), then the
same safeguarded Newton steps), vectorized over series: no Python loop per series and no n x n
matrix. Power simulations and series of patients use it; :mod:`nof1.analysis.bayes_batch`
builds the Bayesian posterior on :meth:`Ar1Batch.profile`-style pieces.

Why it is fast: sufficient statistics. Whitening (see ar1.py) turns an observed day i whose
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
from scipy import special

from nof1.analysis.ar1 import _COARSE, _LOG_2PI, _U_MAX
from nof1.analysis.effect import Effect

__all__ = ["Ar1Batch", "BatchFit", "BatchProfile", "fit_ar1_batch"]

_KINDS = 5  # sums per gap: d·d and cross terms for s = +1, the same for s = -1, then a_p·b_p


class _Profile(NamedTuple):
    loglik: np.ndarray  # REML log-likelihood, (m, P)
    estimate: np.ndarray  # b1(phi)
    var_factor: np.ndarray  # [(XᵀR⁻¹X)⁻¹]_11
    rss: np.ndarray  # whitened residual sum of squares


@dataclass(frozen=True)
class BatchFit:
    """REML fits of m series; every field is an array of shape (m,), NaN where a fit failed.

    Attributes
    ----------
    estimate, se, df, ci_low, ci_high, p_value, phi
        As the fields of :func:`~nof1.analysis.ar1.gls_ar1` (``phi`` = REML phi).
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

    def effect(self, i: int, method: str = "gls_ar1") -> Effect:
        """Series ``i`` as the :class:`Effect` that ``gls_ar1`` returns."""
        if self.reason[i] is not None:
            return Effect.unavailable(method, self.reason[i])
        keys = ("estimate", "se", "df", "ci_low", "ci_high", "p_value")
        return Effect(method, **{k: getattr(self, k)[i] for k in keys}, extra={"phi": self.phi[i]})


class BatchProfile(NamedTuple):
    """REML pieces per series and phi, shape (m, n_phi): what the Bayesian mixture needs.

    ``loglik`` is :func:`~nof1.analysis.ar1.profile_reml`; ``estimate`` is b1(phi) and
    ``scale`` its t scale ``sqrt(S²/(n - p) [(XᵀR⁻¹X)⁻¹]_11)``.
    """

    loglik: np.ndarray
    estimate: np.ndarray
    scale: np.ndarray


class _Stats(NamedTuple):
    """Per series: first-day products (m, q), per-gap sums (m, 5 G, q), day counts per gap."""

    first: np.ndarray
    sums: np.ndarray
    counts: np.ndarray
    gaps: np.ndarray

    def take(self, rows) -> _Stats:
        return _Stats(self.first[rows], self.sums[rows], self.counts[rows], self.gaps)


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
        Add a linear day term, as :func:`~nof1.analysis.ar1.gls_ar1_trend`.

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

    def __init__(self, Y, day, treat, trend: bool = False):
        Y, day, treat = _check(Y, day, treat)
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
        self._stats = _sufficient(np.stack(columns), mask, day)
        self.reason = self._reasons(Y, mask, treat)
        self.ok = np.array([r is None for r in self.reason], dtype=bool)

    def _reasons(self, Y, mask, treat) -> list:
        """The checks of ``gls_ar1``, in its order, for every series at once."""
        n_active = (mask & (treat == 1)).sum(axis=1)
        n_placebo = self.n - n_active
        constant = np.where(mask, Y, -np.inf).max(axis=1) <= np.where(mask, Y, np.inf).min(axis=1)
        # Ordinary least squares (phi = 0) reveals a singular design or an exact fit.
        gram = _gram(self._stats, np.zeros(1))[0][:, 0]
        pivots = _factor(gram, self.p + 1)[0]
        diag = np.array([gram[:, _index(self.p + 1)[j, j]] for j in range(self.p + 1)])
        with np.errstate(invalid="ignore"):
            singular = np.any(pivots[:-1] <= 1e-10 * diag[:-1], axis=0)
            exact = pivots[-1] <= 1e-20 * diag[-1]
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

    def _profile(self, rows: np.ndarray, phis: np.ndarray) -> _Profile:
        """REML pieces of the series ``rows`` at phis (P,) for all, or (len(rows), P) each."""
        df = self.df[rows, None].astype(float)
        if not len(rows):  # every series failed its checks (e.g. nearly all days missing)
            return _Profile(*(np.empty((0, phis.shape[-1])) for _ in _Profile._fields))
        if phis.ndim == 1:
            return _reml(*_gram(self._stats.take(rows), phis), df, self.p)
        # Per-series grids: chunk the rows so the weight array stays small.
        size = max(1, 2_000_000 // max(1, phis.shape[1] * self._stats.sums.shape[1]))
        parts = [
            _reml(
                *_gram(self._stats.take(rows[i : i + size]), phis[i : i + size]),
                df[i : i + size],
                self.p,
            )
            for i in range(0, len(rows), size)
        ]
        return _Profile(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))

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
            *(_scatter(rows, a, self.ok.size) for a in (prof.loglik, prof.estimate, scale))
        )

    def _reml_u(self, rows: np.ndarray) -> np.ndarray:
        """ar1._maximize for every series at once: REML atanh(phi) of the series ``rows``."""
        values = self._profile(rows, np.tanh(_COARSE)).loglik
        k = np.argmax(np.where(np.isnan(values), -np.inf, values), axis=1)
        lo = _COARSE[np.maximum(k - 1, 0)]
        hi = _COARSE[np.minimum(k + 1, _COARSE.size - 1)]
        u = _COARSE[k]
        todo, eps = np.arange(rows.size), 1e-4
        for _ in range(60):
            if not todo.size:
                break
            ut = u[todo]
            f_m, f_0, f_p = self._profile(
                rows[todo], np.tanh(ut[:, None] + [-eps, 0, eps])
            ).loglik.T
            d1, d2 = (f_p - f_m) / (2 * eps), (f_p - 2 * f_0 + f_m) / eps**2
            at_bound = (np.abs(ut) >= _U_MAX) & (d1 * ut > 0)  # still rising at the bound
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
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1; got {alpha}")
        rows = np.flatnonzero(self.ok)
        phi = np.tanh(self._reml_u(rows))
        prof = self._profile(rows, phi[:, None])
        df = self.df[rows].astype(float)
        sigma2 = prof.rss[:, 0] / df
        estimate = prof.estimate[:, 0]
        se = np.sqrt(sigma2 * prof.var_factor[:, 0])
        half = special.stdtrit(df, 1 - alpha / 2) * se
        p_value = 2 * special.stdtr(df, -np.abs(estimate / se))
        ci = (estimate - half, estimate + half)
        values = (estimate, se, df, *ci, p_value, phi, sigma2, prof.loglik[:, 0])
        m = self.ok.size
        return BatchFit(*(_scatter(rows, v, m) for v in values), self.n, self.reason)


def fit_ar1_batch(Y, day, treat, trend: bool = False, alpha: float = 0.05) -> BatchFit:
    """``gls_ar1`` (or ``gls_ar1_trend``) for every row of Y at once.

    Parameters
    ----------
    Y, day, treat, trend
        As for :class:`Ar1Batch`: NaN in Y marks days not used.
    alpha : float, default 0.05

    Returns
    -------
    BatchFit
        Equal to ``gls_ar1`` on each series (rtol 1e-6; the tests check it).

    Examples
    --------
    >>> from nof1.analysis.ar1 import gls_ar1
    >>> day = np.arange(1, 13)
    >>> y = np.array([[5, 6, 3, 2, 6, 7, 2, 3, 6, 5, 2, np.nan]])
    >>> treat = [0, 0, 1, 1] * 3
    >>> fit = fit_ar1_batch(y, day, treat)
    >>> one = gls_ar1(y[0], day, treat)
    >>> bool(np.isclose(fit.estimate[0], one.estimate)), fit.effect(0).df == one.df
    (True, True)
    """
    return Ar1Batch(Y, day, treat, trend).fit(alpha)


# --- the computation ---------------------------------------------------------------------------


def _check(Y, day, treat):
    """Validate shapes and values; sort the columns by day."""
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    day = np.asarray(day, dtype=float)
    if Y.ndim != 2 or day.ndim != 1 or day.size != Y.shape[1]:
        raise ValueError(f"Y must be (m, n) and day (n,); got {Y.shape} and {day.shape}")
    treat = np.asarray(treat, dtype=float)
    if treat.shape not in (Y.shape, day.shape):
        raise ValueError(f"treat must have shape {Y.shape} or {day.shape}; got {treat.shape}")
    treat = np.broadcast_to(treat, Y.shape)
    if np.isinf(Y).any():
        raise ValueError("Y must be finite or NaN (NaN = day not used)")
    if not np.all(np.isfinite(day)) or np.any(day != np.round(day)):
        raise ValueError("day must hold whole numbers (calendar day indices)")
    if np.unique(day).size != day.size:
        raise ValueError("day values must be unique: one column per day")
    if not np.all(np.isin(treat[~np.isnan(Y)], (0, 1))):
        raise ValueError("treat must be 0/1 (1 = active day, 0 = placebo day) on used days")
    order = np.argsort(day, kind="stable")
    return Y[:, order], day[order], treat[:, order]


def _index(k: int) -> np.ndarray:
    """Position of entry (a, b) of a symmetric k x k matrix in its packed upper triangle."""
    index = np.empty((k, k), dtype=int)
    for q, (a, b) in enumerate(_pairs(k)):
        index[a, b] = index[b, a] = q
    return index


def _pairs(k: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(k) for b in range(a, k)]


def _sufficient(V: np.ndarray, mask: np.ndarray, day: np.ndarray) -> _Stats:
    """Per-gap sums of products of the columns V (k, m, n) over consecutive observed days."""
    k, m, n = V.shape
    position = np.where(mask, np.arange(n), -1)
    prev = np.maximum.accumulate(position, axis=1)
    prev = np.concatenate([np.full((m, 1), -1), prev[:, :-1]], axis=1)  # previous observed day
    linked = mask & (prev >= 0)
    prev = np.maximum(prev, 0)
    gap = np.where(linked, day - day[prev], 0).astype(np.int64)
    gaps = np.flatnonzero(np.bincount(gap[linked], minlength=1))  # the gap lengths present
    lookup = np.zeros(gap.max() + 1, dtype=np.int64)
    lookup[gaps] = np.arange(gaps.size)
    pairs = _pairs(k)
    size = gaps.size
    sums = np.empty((m, _KINDS, size, len(pairs)))
    counts = np.empty((m, size))
    first = np.empty((m, len(pairs)))
    block = max(1, 120_000 // (k * n))  # rows at a time: cache-sized temporaries, 2x faster
    for lo in range(0, m, block):
        rows = slice(lo, lo + block)
        b = min(block, m - lo)
        link = linked[rows]
        # One bin per (series, gap length); days without a predecessor go to a spare bin.
        bins = np.where(link, np.arange(b)[:, None] * size + lookup[gap[rows]], b * size)
        cur = V[:, rows] * link
        pre = np.take_along_axis(V[:, rows], prev[None, rows], axis=2) * link
        d_pos, d_neg = cur - pre, cur + pre  # d = a_i - s a_p for s = +1 and s = -1
        start = V[:, rows] * (mask[rows] & ~link)  # the first observed day of each series
        for q, (i, j) in enumerate(pairs):
            kinds = (
                d_pos[i] * d_pos[j],
                d_pos[i] * pre[j] + pre[i] * d_pos[j],
                d_neg[i] * d_neg[j],
                d_neg[i] * pre[j] + pre[i] * d_neg[j],
                pre[i] * pre[j],
            )
            for kind, w in enumerate(kinds):
                total = np.bincount(bins.ravel(), weights=w.ravel(), minlength=b * size + 1)
                sums[rows, kind, :, q] = total[:-1].reshape(b, size)
            first[rows, q] = (start[i] * start[j]).sum(axis=1)
        counts[rows] = np.bincount(bins.ravel(), minlength=b * size + 1)[:-1].reshape(b, size)
    return _Stats(first, sums.reshape(m, -1, len(pairs)), counts, gaps)


def _weights(phis: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the 5 kinds of per-gap sums at each phi (..., 5 G), and log(1 - rho²)."""
    phi = phis[..., None]
    with np.errstate(divide="ignore"):
        log_r = gaps * np.log(np.abs(phi))  # log |phi^g|; -inf at phi = 0
    c = -np.expm1(log_r)  # 1 - |rho|
    one_minus = -np.expm1(2.0 * log_r)  # 1 - rho²
    neg = (phi < 0) & (gaps % 2 == 1)  # rho < 0: odd gaps keep phi's sign
    w0, w1, w2 = 1.0 / one_minus, c / one_minus, c * c / one_minus
    W = np.stack(
        [
            np.where(neg, 0, w0),
            np.where(neg, 0, w1),
            np.where(neg, w0, 0),
            np.where(neg, -w1, 0),
            w2,
        ],
        axis=-2,
    )
    return W.reshape(*W.shape[:-2], -1), np.log(one_minus)


def _gram(stats: _Stats, phis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed Gram matrices [X y]ᵀR⁻¹[X y] (m, P, q) and log|R| (m, P)."""
    W, log_one_minus = _weights(phis, stats.gaps)
    if phis.ndim == 1:  # one grid for all series: a single matrix product
        gram = np.tensordot(stats.sums, W, axes=([1], [1])).transpose(0, 2, 1)
        logdet_r = stats.counts @ log_one_minus.T
    else:
        gram = np.matmul(W, stats.sums)
        logdet_r = np.einsum("mg,mpg->mp", stats.counts, log_one_minus)
    return gram + stats.first[:, None, :], logdet_r


def _factor(gram: np.ndarray, k: int) -> tuple[np.ndarray, list]:
    """Cholesky factors of packed k x k matrices (..., q): pivots L_jj² (k, ...) and L."""
    index = _index(k)
    L = [[None] * k for _ in range(k)]
    pivots = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k):
            pivot = gram[..., index[j, j]] - sum(L[j][t] ** 2 for t in range(j))
            pivots.append(pivot)
            L[j][j] = np.sqrt(np.where(pivot > 0, pivot, np.nan))
            for i in range(j + 1, k):
                dot = sum(L[i][t] * L[j][t] for t in range(j))
                L[i][j] = (gram[..., index[i, j]] - dot) / L[j][j]
    return np.array(pivots), L


def _reml(gram: np.ndarray, logdet_r: np.ndarray, df: np.ndarray, p: int) -> _Profile:
    """REML log-likelihood and treatment coefficient from the Gram matrices.

    Columns are ordered [1, (day), treat, y], so the last pivot is S² and the treatment
    pivot is 1 / [(XᵀR⁻¹X)⁻¹]_11; see the module notes.
    """
    pivots, L = _factor(gram, p + 1)
    t = p - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        rss = pivots[p]
        logdet_xrx = np.log(pivots[:p]).sum(axis=0)
        m2ll = df * (_LOG_2PI + 1.0 + np.log(rss / df)) + logdet_r + logdet_xrx
        return _Profile(-0.5 * m2ll, L[p][t] / L[t][t], 1.0 / pivots[t], rss)


def _scatter(rows: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Rows of a result for the series ``rows``, NaN for the others."""
    out = np.full((m, *values.shape[1:]), np.nan)
    out[rows] = values
    return out
