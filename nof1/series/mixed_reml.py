"""The mixed model's exact REML criterion from per-patient sufficient statistics, and the
Satterthwaite degrees of freedom of its treatment effect (as lmerTest).

The statistics and the fit are in :mod:`nof1.series.mixed`.

``lmerTest::lmer``'s ``summary()`` tests ``treat`` by t with Satterthwaite's degrees of
freedom ``df = 2 V² / (gᵀ A g)``: V = Var(b1) = sigma² [P⁻¹]₂₂, g its gradient in the
variance parameters ``(θ, sigma)`` and ``A = 2 H⁻¹`` their asymptotic covariance, H the
Hessian of the REML criterion (sigma not profiled) at the fit. Everything is a sum over
patients of 2 x 2 closed forms of their sufficient statistics (:mod:`nof1.series.mixed`):
g in closed form, H by Richardson-extrapolated central differences of the analytic
gradient (lmerTest: numDeriv on the criterion itself).

References
----------
Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package: tests in
linear mixed effects models. J Stat Softw 82(13). Satterthwaite, F. E. (1946). An
approximate distribution of estimates of variance components. Biometrics Bulletin 2, 110-114.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from nof1.series.mixed import MixedStatistics

__all__ = ["Satterthwaite", "relative_factor", "reml_criterion", "satterthwaite"]

_STEP = 1e-3  # relative step of the first difference (then halved once, Richardson)


class _Reml(NamedTuple):
    value: float  # -2 l_R
    beta: np.ndarray
    P: np.ndarray
    rss: float


def relative_factor(theta) -> np.ndarray:
    """Λ from lme4's θ = (Λ₁₁, Λ₂₁, Λ₂₂): G = sigma² Λ Λᵀ."""
    return np.array([[theta[0], 0.0], [theta[1], theta[2]]])


def reml_criterion(theta, s: MixedStatistics, gradient: bool = False, sigma2=None):
    """-2 l_R at θ (and its gradient in θ); the formulas are in the Notes of
    :func:`nof1.series.mixed.mixed_model`.

    With ``sigma2`` None, sigma² is profiled out (lme4's criterion, what the fit
    minimises); with a value, the criterion at that sigma² (lmerTest's ``devfun_vp``,
    whose Hessian in (θ, sigma) gives the Satterthwaite degrees of freedom):
    ``Σᵢ log|I + Aᵢ D| + log|P| + S²/sigma² + (N - p) log(2π sigma²)``; its gradient in θ
    replaces ``(N - p)/S²`` by ``1/sigma²``.
    """
    lam = relative_factor(theta)
    D = lam @ lam.T
    K = np.eye(2) + s.A @ D  # I + Aᵢ D, per patient
    W = np.linalg.inv(K)
    C = W @ s.A  # XᵢᵀHᵢ⁻¹Xᵢ (symmetric)
    g = (W @ s.b[..., None])[..., 0]  # XᵢᵀHᵢ⁻¹yᵢ
    r = np.sum(s.yy - np.sum((s.b @ D) * g, axis=-1))  # yᵀH⁻¹y = Σ yᵢᵀyᵢ - (D bᵢ)ᵀ Wᵢ bᵢ
    P, q = C.sum(axis=0), g.sum(axis=0)
    beta = np.linalg.solve(P, q)
    rss = float(r - q @ beta)
    if sigma2 is None:
        value = s.df * (1 + math.log(2 * math.pi * rss / s.df))
    else:
        value = rss / sigma2 + s.df * math.log(2 * math.pi * sigma2)
    value += np.log(np.linalg.det(K)).sum() + math.log(np.linalg.det(P))
    if not gradient:
        return _Reml(float(value), beta, P, rss)
    e = g - C @ beta  # Xᵢᵀ Hᵢ⁻¹ (yᵢ - Xᵢ b)
    scale = s.df / rss if sigma2 is None else 1 / sigma2
    T = P - np.einsum("mij,jk,mkl->il", C, np.linalg.inv(P), C) - scale * (e.T @ e)
    grad = 2 * T @ lam
    return float(value), np.array([grad[0, 0], grad[1, 0], grad[1, 1]])


class Satterthwaite(NamedTuple):
    """Var(b1) at the fit, its Satterthwaite df (None when the Hessian is not positive
    definite), and the Hessian of the criterion in (θ, sigma)."""

    var: float
    df: float | None
    hessian: np.ndarray


def _gradient(varpar: np.ndarray, s: MixedStatistics) -> np.ndarray:
    """Gradient of the criterion (sigma not profiled) in (θ₁, θ₂, θ₃, sigma)."""
    theta, sigma = varpar[:3], varpar[3]
    _, grad = reml_criterion(theta, s, gradient=True, sigma2=sigma**2)
    rss = reml_criterion(theta, s).rss
    return np.append(grad, -2 * rss / sigma**3 + 2 * s.df / sigma)


def _hessian(varpar: np.ndarray, s: MixedStatistics) -> np.ndarray:
    h = _STEP * np.maximum(np.abs(varpar), 0.1)
    rows = []
    for j in range(varpar.size):

        def central(step, j=j):
            e = np.zeros_like(varpar)
            e[j] = step
            return (_gradient(varpar + e, s) - _gradient(varpar - e, s)) / (2 * step)

        rows.append((4 * central(h[j] / 2) - central(h[j])) / 3)
    H = np.array(rows)
    return (H + H.T) / 2


def satterthwaite(theta, sigma: float, s: MixedStatistics) -> Satterthwaite:
    """Satterthwaite's degrees of freedom of the treatment effect at the REML fit
    ``(theta, sigma)`` (lmerTest's ``contest1D`` for the contrast ``treat``).

    ∂Var(b1)/∂sigma = 2 sigma [P⁻¹]₂₂; ∂P⁻¹/∂θ = P⁻¹ (Σᵢ Cᵢ ∂D Cᵢ) P⁻¹ with Cᵢ = XᵢᵀHᵢ⁻¹Xᵢ
    and ∂D = ∂Λ Λᵀ + Λ ∂Λᵀ.
    """
    theta = np.asarray(theta, dtype=float)
    lam = relative_factor(theta)
    D = lam @ lam.T
    C = np.linalg.inv(np.eye(2) + s.A @ D) @ s.A
    P_inv = np.linalg.inv(C.sum(axis=0))
    var = sigma**2 * P_inv[1, 1]
    grad = np.empty(4)
    for j in range(3):
        e = np.zeros(3)
        e[j] = 1.0
        d_lam = relative_factor(e)
        dD = d_lam @ lam.T + lam @ d_lam.T
        d_p_inv = P_inv @ np.einsum("mij,jk,mkl->il", C, dD, C) @ P_inv
        grad[j] = sigma**2 * d_p_inv[1, 1]
    grad[3] = 2 * sigma * P_inv[1, 1]
    H = _hessian(np.append(theta, sigma), s)
    values = np.linalg.eigvalsh(H)
    if not np.all(values > 1e-10 * np.abs(values).max()):
        return Satterthwaite(float(var), None, H)
    denominator = grad @ (2 * np.linalg.solve(H, grad))
    return Satterthwaite(float(var), float(2 * var**2 / denominator), H)
