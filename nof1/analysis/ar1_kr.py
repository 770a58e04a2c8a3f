"""Small-sample inference for the GLS AR(1) treatment effect: Kenward-Roger (``gls_ar1_kr``).

The fit is ``gls_ar1``'s (the same REML phi, sigma² and b1); only the inference changes.
``gls_ar1`` refers ``b1 / se`` to t(n - 2) with ``se² = sigma² [(XᵀR⁻¹X)⁻¹]_11``, as if phi
and sigma² were known. With 3 cycles that test rejects a true null 6.5% of the time at
phi 0.6 and 7.8% at phi 0.9 (issue 15). Kenward and Roger (1997) correct both halves:

* the covariance of b is adjusted for the uncertainty in theta = (sigma², phi),
  ``Phi_A = Phi + 2 Phi [sum_ij W_ij (Q_ij - P_i Phi P_j - R_ij / 4)] Phi``, with
  ``Phi = sigma² (XᵀR⁻¹X)⁻¹``, ``P_i = Xᵀ dV⁻¹/dtheta_i X``,
  ``Q_ij = Xᵀ V⁻¹ dV/dtheta_i V⁻¹ dV/dtheta_j V⁻¹ X``,
  ``R_ij = Xᵀ V⁻¹ d²V/dtheta_i dtheta_j V⁻¹ X`` and ``W`` the inverse of the REML
  information of theta;
* the degrees of freedom: for one contrast (the treatment effect) Kenward-Roger's F
  approximation reduces exactly to a t-test of ``b1 / sqrt(Phi_A,11)`` with Satterthwaite's
  ``df = 2 v² / (gᵀ W g)``, ``v = Phi_11`` and ``g = dv/dtheta`` (the scale factor lambda is
  1 when there is one contrast).

For ``V = sigma² R(phi)`` most terms cancel (sigma² only scales V): with ``G0 = XᵀR⁻¹X``,
``G1, G2`` its first and second derivatives in phi, ``M = G0⁻¹`` and
``H = Xᵀ R⁻¹ Ṙ R⁻¹ Ṙ R⁻¹ X``::

    Lambda = sigma² W_ff M (H - G1 M G1) M                       (first order)
             - M (sigma² W_ff (2 H - G2) - 2 W_sf G1) M / 4      (the R_ij term, phi scale)

The ``R_ij`` term depends on how phi is parameterized. ``gls_ar1_kr`` uses theta =
(sigma², atanh phi), the scale on which the fit searches phi; by the chain rule only
``d²G0/du² = (1 - phi²)² G2 - 2 phi (1 - phi²) G1`` brings a new term, so
``lambda2_atanh = lambda2 - sigma² W_ff phi / (1 - phi²) [M G1 M]_11 / 2``.

W is the inverse of the *observed* REML information in (sigma², phi), as nlme's ``apVar``
(which ``emmeans`` uses for its Satterthwaite df), from derivatives of the REML pieces in
phi (a 5-point stencil on atanh(phi); sigma² analytically). ``G0, G1, G2`` come from the
same Gram matrices as the fit (:meth:`~nof1.analysis.ar1_batch.Ar1Batch.gram`). ``H`` is
``uᵀ R u`` with ``u = (dR⁻¹/dphi) X``: ``dR⁻¹/dphi`` is tridiagonal (the precision of a
Markov chain over the observed days), and ``uᵀ R u`` needs one first-order recursion over the
days (``f_t = u_t + phi^gap f_{t-1}``, see :func:`_h_matrix`), vectorized over rows: O(days)
per row, no n x n matrix. ``tests/oracles/ar1_kr.py`` computes every piece densely.

What the two halves do: ``Phi + Lambda`` is the variance of b1 inflated for the error in
theta, and the other ``Lambda`` minus the ``R_ij`` term is ``-tr(W d²Phi/dtheta²) / 2``,
minus the second-order bias of the plug-in variance ``Phi(theta-hat)``. The full form is
thus ``Phi-hat + Lambda - bias``; the first-order form drops the ``R_ij`` part of the bias.

Which correction, by simulation (docs/validation.md; ``python -m validation.calibration``):
on the null trials of every cell (phi 0.3, 0.6, 0.9 x 3 and 6 cycles x 0 and 30% missing
days, ldn-nof1-multicycle, sd 12; 32 000 trials per cell with seed 99, and two more seeds),
the first-order form rejects 0.045 to 0.047 at phi 0.6 (conservative: the plug-in variance
overstates the variance of b1 there by about 2%, which the first-order form does not
remove) and 0.052 to 0.053 at phi 0.9 with 6 cycles; with the second-order term on the
atanh(phi) scale every cell is within 0.0480 to 0.0526 (on the phi scale up to 0.053, and
0.057 in a smaller run). The expected instead of the observed information changes no rate
by more than 0.0002; a bias correction of phi (even by the simulated mean bias) makes every
cell more conservative (0.041 at phi 0.9), because the bias of the plug-in variance is
already in the correction; and the df variants tried move the rates by 0.001 to 0.003.
So :data:`VARIANT` is "full_atanh". It costs O(days) per row, from pieces the first-order
form already computes; a parametric bootstrap would cost hundreds of refits.

References
----------
Kenward MG, Roger JH (1997). Small sample inference for fixed effects from restricted
maximum likelihood. Biometrics 53:983-997.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nof1.analysis.ar1 import ar1_batch, ar1_fit
from nof1.analysis.ar1_gram import packed_index, reml, scatter
from nof1.analysis.inference import t_inference
from nof1.analysis.registry import Estimates, Trials

__all__ = ["VARIANT", "KrPieces", "gls_ar1_kr", "kr_pieces", "kr_variance"]

#: The inference ``gls_ar1_kr`` reports: "full_atanh" (the Kenward-Roger covariance with its
#: second-derivative term, theta = (sigma², atanh phi), Satterthwaite df), "full_phi" (the
#: same with theta = (sigma², phi)), "first_order" (without the second-derivative term, which
#: does not depend on how phi is parameterized) or "satterthwaite" (the model-based se with
#: Satterthwaite df). docs/validation.md has the simulation that chose it.
VARIANT = "full_atanh"
_STEP = 1e-2  # finite-difference step on atanh(phi): 5-point stencils, error ~ h^4
_STENCIL = np.arange(-2, 3)
_FIELDS = ("estimate", "se", "df", "ci_low", "ci_high", "p_value", "phi")


class KrPieces(NamedTuple):
    """Per fitted row (arrays (r,)): the pieces of the corrections."""

    rows: np.ndarray  # the rows of the batch they belong to
    v: np.ndarray  # model-based variance of b1, sigma² [(XᵀR⁻¹X)⁻¹]_11
    df: np.ndarray  # Satterthwaite (= Kenward-Roger) degrees of freedom
    lambda1: np.ndarray  # first-order Kenward-Roger term [Lambda]_11
    lambda2: np.ndarray  # second-derivative term of [Lambda]_11, theta = (sigma², phi)
    lambda2_atanh: np.ndarray  # the same with theta = (sigma², atanh phi)
    w: np.ndarray  # (r, 3): W_ss, W_sf, W_ff, the inverse observed information


def _derivatives(f: np.ndarray, phi: np.ndarray):
    """First and second derivatives in phi of f sampled at atanh(phi) + STEP * STENCIL."""
    h = _STEP
    d1u = (f[:, 0] - 8 * f[:, 1] + 8 * f[:, 3] - f[:, 4]) / (12 * h)
    d2u = (-f[:, 0] + 16 * f[:, 1] - 30 * f[:, 2] + 16 * f[:, 3] - f[:, 4]) / (12 * h * h)
    s = 1.0 - phi * phi  # dphi/du
    return d1u / s, (d2u + 2 * phi * d1u) / (s * s)


def _h_matrix(mask: np.ndarray, treat: np.ndarray, day: np.ndarray, phi: np.ndarray):
    """``H = uᵀ R u``, ``u = (dR⁻¹/dphi) X``, X = [1, treat] on the observed days: (r, 2, 2).

    ``R⁻¹ x = e_1 x_1 + sum over links p -> i of (x_i - rho x_p)(e_i - rho e_p) / (1 - rho²)``
    with ``rho = phi^(day_i - day_p)``; differentiating each link in phi gives u, with one
    entry at i and one at p (each observed day is the predecessor of at most one).
    """
    r, T = mask.shape
    X = np.stack([mask, mask & treat]).astype(float)  # (2, r, T)
    position = np.where(mask, np.arange(T), -1)
    prev = np.maximum.accumulate(position, axis=1)
    prev = np.concatenate([np.full((r, 1), -1), prev[:, :-1]], axis=1)
    linked = mask & (prev >= 0)
    prev = np.maximum(prev, 0)
    gap = np.where(linked, day - day[prev], 1.0)
    ph = phi[:, None]
    rho = np.power(ph, gap)
    drho = np.where(linked, gap * np.power(ph, gap - 1), 0.0)  # 0 where there is no link
    c = 1.0 / (1.0 - rho * rho)
    xp = np.take_along_axis(X, np.broadcast_to(prev, X.shape), axis=2)
    resid = X - rho * xp
    a = 2 * rho * c * c * resid - c * xp
    u = a * drho  # the entry at i of each link
    at_p = (-rho * a - c * resid) * drho  # and at its predecessor p
    # Each observed day is the predecessor of at most one (the next observed day): gather.
    later = np.where(linked, np.arange(T), T)
    succ = np.minimum.accumulate(later[:, ::-1], axis=1)[:, ::-1]  # first link at or after t
    succ = np.concatenate([succ[:, 1:], np.full((r, 1), T)], axis=1)  # strictly after t
    has = mask & (succ < T)
    u += np.where(
        has, np.take_along_axis(at_p, np.broadcast_to(np.minimum(succ, T - 1), X.shape), 2), 0.0
    )
    # uᵀ R u over the observed days (u is 0 elsewhere, so recurse over every column): with
    # f_t = u_t + phi^(day_t - day_{t-1}) f_{t-1} = sum over s <= t of R_ts u_s,
    # uᵀ R u = F + Fᵀ - uᵀ u where F = sum_t u_t f_tᵀ: one forward pass.
    u = np.ascontiguousarray(u.transpose(2, 0, 1))  # (T, 2, r): a day at a time
    step = np.ascontiguousarray(np.power(ph, np.diff(day)[None, :]).T)  # (T - 1, r)
    f = np.empty_like(u)
    f[0] = u[0]
    for t in range(1, T):
        np.multiply(step[t - 1], f[t - 1], out=f[t])
        f[t] += u[t]
    F = np.stack(
        [np.stack([(u[:, i] * f[:, j]).sum(0) for j in range(2)], -1) for i in range(2)], -2
    )
    uu = np.stack(
        [np.stack([(u[:, i] * u[:, j]).sum(0) for j in range(2)], -1) for i in range(2)], -2
    )
    return F + F.transpose(0, 2, 1) - uu


def _inv2(a, b, d):
    """Inverse of symmetric 2 x 2 matrices [[a, b], [b, d]] as (a', b', d')."""
    det = a * d - b * b
    return d / det, -b / det, a / det


def kr_pieces(trials: Trials) -> KrPieces:
    """The Kenward-Roger and Satterthwaite pieces of every row gls_ar1 fitted.

    Returns
    -------
    KrPieces
        For the rows where gls_ar1 has an estimate and a finite REML phi.
    """
    batch, fit = ar1_batch(trials), ar1_fit(trials)
    rows = np.flatnonzero(batch.ok & np.isfinite(fit.phi))
    if not rows.size:  # no row has a fit (e.g. a blinded interim diary with one group only)
        empty = np.empty(0)
        return KrPieces(rows, empty, empty, empty, empty, empty, np.empty((0, 3)))
    phi, sigma2 = fit.phi[rows], fit.sigma2[rows]
    N = batch.df[rows].astype(float)
    phis = np.tanh(np.arctanh(phi)[:, None] + _STEP * _STENCIL)
    packed, logdet_r = batch.gram(rows, phis)
    pieces = reml(packed, logdet_r, N[:, None], 2)
    rss = pieces.rss
    # log|R| + log|XᵀR⁻¹X| = -2 loglik - N (log 2π + 1 + log(S²/N))
    logdets = -2 * pieces.loglik - N[:, None] * (np.log(2 * np.pi) + 1 + np.log(rss / N[:, None]))
    rss1, rss2 = _derivatives(rss, phi)
    _, logdets2 = _derivatives(logdets, phi)
    # Observed REML information of (sigma², phi) at the optimum (sigma² = S²/N).
    i_ss = N / (2 * sigma2**2)
    i_sf = -0.5 * rss1 / sigma2**2
    i_ff = 0.5 * (logdets2 + rss2 / sigma2)
    w_ss, w_sf, w_ff = _inv2(i_ss, i_sf, i_ff)
    # Satterthwaite df of v = sigma² [G0⁻¹]_11.
    vf0 = pieces.var_factor[:, 2]
    vf1, _ = _derivatives(pieces.var_factor, phi)
    v = sigma2 * vf0
    g_s, g_f = vf0, sigma2 * vf1
    df = 2 * v * v / (w_ss * g_s * g_s + 2 * w_sf * g_s * g_f + w_ff * g_f * g_f)
    # The X block of the Gram matrices and its derivatives in phi.
    index = packed_index(3)
    G = np.stack([packed[..., index[0, 0]], packed[..., index[0, 1]], packed[..., index[1, 1]]])
    G0 = G[:, :, 2]
    G1, G2 = (np.stack(d) for d in zip(*(_derivatives(g, phi) for g in G), strict=True))
    m00, m01, m11 = _inv2(*G0)
    M = _mat(m00, m01, m11)
    mask, treat, day = _compared(trials, rows)
    H = _h_matrix(mask, treat, day, phi)
    G1m, G2m = _mat(*G1), _mat(*G2)
    A1 = M @ (H - G1m @ M @ G1m) @ M
    A2 = M @ ((sigma2 * w_ff)[:, None, None] * (2 * H - G2m) - 2 * w_sf[:, None, None] * G1m) @ M
    lambda1 = sigma2 * w_ff * A1[:, 1, 1]
    lambda2 = -0.25 * A2[:, 1, 1]
    # With u = atanh(phi): dR/du = (1 - phi²) dR/dphi, so H and G1 scale by (1 - phi²)² and
    # (1 - phi²), W_uu = W_ff / (1 - phi²)², W_su = W_sf / (1 - phi²), and
    # d²G0/du² = (1 - phi²)² G2 - 2 phi (1 - phi²) G1: only the last term is new.
    lambda2_atanh = lambda2 - 0.5 * sigma2 * w_ff * phi / (1 - phi * phi) * (M @ G1m @ M)[:, 1, 1]
    w = np.stack([w_ss, w_sf, w_ff], axis=1)
    return KrPieces(rows, v, df, lambda1, lambda2, lambda2_atanh, w)


def _mat(a, b, d):
    """Stack symmetric 2 x 2 matrices (r, 2, 2) from their entries (r,)."""
    return np.stack([np.stack([a, b], -1), np.stack([b, d], -1)], -2)


def _compared(trials: Trials, rows: np.ndarray):
    """The observed compared days of ``rows`` on the day grid the AR(1) batch uses."""
    compared = trials.arm >= 0
    used = compared.any(axis=0)
    day = np.asarray(trials.day, dtype=float)[used]
    order = np.argsort(day, kind="stable")
    y = trials.y[rows][:, used][:, order]
    arm = trials.arm[rows][:, used][:, order]
    return (arm >= 0) & ~np.isnan(y), arm == 1, day[order]


def kr_variance(pieces: KrPieces, variant: str = VARIANT) -> np.ndarray:
    """The variance of b1 that ``variant`` tests with (see :data:`VARIANT`).

    Where the full form is not positive (only where REML put phi at the edge of its range,
    ``tanh(6)``: 7 of 384 000 simulated trials), the first-order form is used.
    """
    if variant == "satterthwaite":
        return pieces.v
    first = pieces.v + 2 * pieces.lambda1
    if variant == "first_order":
        return first
    if variant in ("full_phi", "full_atanh"):
        second = pieces.lambda2 if variant == "full_phi" else pieces.lambda2_atanh
        full = first + 2 * second
        return np.where(full > 0, full, first)
    raise ValueError(f"unknown variant {variant!r}")


def gls_ar1_kr(trials: Trials, variant: str = VARIANT) -> Estimates:
    """Treated minus control by GLS AR(1) (REML), with Kenward-Roger small-sample inference.

    Parameters
    ----------
    trials : Trials
        Uses ``y``, ``day``, ``arm`` and ``alpha``, as gls_ar1.
    variant : str
        See :data:`VARIANT` (the registry runs the default).

    Returns
    -------
    Estimates
        ``estimate`` = gls_ar1's b1 and ``phi`` its REML phi; ``se`` = sqrt of the
        Kenward-Roger adjusted variance (:func:`kr_variance`), ``df`` = the Satterthwaite
        (Kenward-Roger) degrees of freedom, t-based ``ci_low``/``ci_high`` and ``p_value``
        on those. gls_ar1's reasons where it has no fit, and "the REML information about phi
        is singular" where the correction is undefined.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> rng = np.random.default_rng(1)
    >>> day = np.arange(1, 61)
    >>> arm = ((day - 1) // 10 % 2).astype(np.int8)[None, :]
    >>> y = 50 - 4 * arm + rng.normal(0, 5, (1, 60))
    >>> t = Trials(y, day, arm, np.zeros_like(arm), np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = gls_ar1_kr(t).effect(0)
    >>> bool(e.df < 58), bool(e.se > 0)
    (True, True)
    """
    fit = ar1_fit(trials)
    pieces = kr_pieces(trials)
    m = trials.m
    var = kr_variance(pieces, variant)
    good = np.isfinite(var) & (var > 0) & np.isfinite(pieces.df) & (pieces.df > 0)
    rows = pieces.rows
    se = scatter(rows, np.sqrt(np.where(good, var, np.nan)), m)
    df = scatter(rows, np.where(good, pieces.df, np.nan), m)
    estimate = np.where(np.isfinite(se), fit.estimate, np.nan)
    ci_low, ci_high, p_value = t_inference(estimate, se, df, trials.alpha)
    values = {
        "estimate": estimate,
        "se": se,
        "df": df,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_value": p_value,
        "phi": np.where(np.isfinite(se), fit.phi, np.nan),
    }
    reason = np.array(fit.reason, dtype=object)
    bad = np.flatnonzero((reason == None) & np.isnan(se))  # noqa: E711 (elementwise)
    reason[bad] = "the REML information about phi is singular; no small-sample correction"
    return Estimates("gls_ar1_kr", values, reason)
