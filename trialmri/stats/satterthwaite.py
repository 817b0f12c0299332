"""Satterthwaite degrees of freedom for a random-intercept mixed model fitted by REML, computed as
R's lmerTest computes them (Kuznetsova, Brockhoff & Christensen 2017, J Stat Softw 82(13)).

Model: y = Xβ + Zb + e, b ~ N(0, σ_b² I) one intercept per subject, e ~ N(0, σ² I).
Variance parameters in lme4's/lmerTest's parametrization: ``varpar = (θ, σ)`` with θ = σ_b/σ, so
V = σ²(I + θ² ZZ'). lmerTest takes the Hessian H of the REML deviance
d(θ, σ) = log|V| + log|X'V⁻¹X| + y'Py (constants dropped; β profiled out, P = V⁻¹ − V⁻¹X(X'V⁻¹X)⁻¹X'V⁻¹)
at the estimate and uses A = 2H⁻¹ (on H's positive eigenvalues) as the covariance of the variance parameters. Here H is exact
(analytic second derivatives) where lmerTest differentiates numerically.

For a contrast L (q x p) of β with covariance C(varpar) = (X'V⁻¹X)⁻¹:

- q = 1: ν = 2 (LCL')² / (g'Ag), g_k = L (∂C/∂varpar_k) L';
- q > 1: LCL' = P D P' (eigen); F = Σ (P'Lβ)_m² / d_m / q; ν_m as above for each row of P'L;
  E = Σ ν_m/(ν_m − 2); ddf = 2E/(E − q) (2 if any ν_m ≤ 2), lmerTest's ``get_Fstat_ddf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class VarianceModel:
    """Everything the df need at one value of the variance parameters ``(theta, sigma)``."""

    theta: float
    sigma: float
    beta: np.ndarray       # GLS β̂ = C X'V⁻¹y
    C: np.ndarray          # (X'V⁻¹X)⁻¹, covariance of β̂
    dC: np.ndarray         # (2, p, p): ∂C/∂θ, ∂C/∂σ
    A: np.ndarray          # (2, 2): 2 H⁻¹, covariance of (θ̂, σ̂)
    gradient: np.ndarray   # (2,): ∂d/∂(θ, σ), ~0 at the REML optimum (θ > 0)
    hessian: np.ndarray    # (2, 2): H


def _pieces(X, ZZ, theta, sigma):
    n = X.shape[0]
    S = np.eye(n) + theta**2 * ZZ
    V = sigma**2 * S
    Vinv = np.linalg.inv(V)
    XtVi = X.T @ Vinv
    C = np.linalg.inv(XtVi @ X)
    P = Vinv - XtVi.T @ C @ XtVi
    dV = [2 * theta * sigma**2 * ZZ, 2 * sigma * S]
    d2V = [[2 * sigma**2 * ZZ, 4 * theta * sigma * ZZ],
           [4 * theta * sigma * ZZ, 2 * S]]
    return V, Vinv, C, P, dV, d2V


def reml_deviance(y, X, ZZ, theta: float, sigma: float) -> float:
    """d(θ, σ) = log|V| + log|X'V⁻¹X| + y'Py (REML deviance without its constant)."""
    V, _, C, P, _, _ = _pieces(X, ZZ, theta, sigma)
    return float(np.linalg.slogdet(V)[1] - np.linalg.slogdet(C)[1] + y @ P @ y)


def variance_model(y, X, groups, theta: float, sigma: float) -> VarianceModel:
    """Gradient, Hessian and covariance pieces at ``(theta, sigma)``; ``groups`` one label per row."""
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    codes = np.unique(np.asarray(groups), return_inverse=True)[1]
    ZZ = (codes[:, None] == codes[None, :]).astype(float)
    _, Vinv, C, P, dV, d2V = _pieces(X, ZZ, theta, sigma)
    Py = P @ y
    PdV = [P @ D for D in dV]
    grad = np.array([np.trace(PdV[i]) - Py @ dV[i] @ Py for i in range(2)])
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            H[i, j] = (np.trace(P @ d2V[i][j]) - np.sum(PdV[i] * PdV[j].T)
                       + 2 * Py @ dV[i] @ P @ dV[j] @ Py - Py @ d2V[i][j] @ Py)
    XtVi = X.T @ Vinv
    dC = np.stack([C @ XtVi @ D @ XtVi.T @ C for D in dV])
    return VarianceModel(theta=theta, sigma=sigma, beta=C @ XtVi @ y, C=C, dC=dC, A=2 * positive_inverse(H),
                         gradient=grad, hessian=H)


def positive_inverse(H, tol: float = 1e-8) -> np.ndarray:
    """Inverse of symmetric ``H`` on its eigenvalues above ``tol`` (lmerTest drops zero and
    negative ones, which a boundary fit such as σ_b = 0 produces)."""
    values, vectors = np.linalg.eigh(H)
    keep = values > tol
    return (vectors[:, keep] / values[keep]) @ vectors[:, keep].T


def contrast_df(vm: VarianceModel, L) -> float:
    """Satterthwaite df of the one-row contrast ``L`` (length p)."""
    L = np.asarray(L, float)
    var = L @ vm.C @ L
    g = np.array([L @ D @ L for D in vm.dC])
    return float(2 * var**2 / (g @ vm.A @ g))


def _fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's get_Fstat_ddf: the F denominator df from the per-eigen-contrast df."""
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = np.sum(nu / (nu - 2))
    return float(2 * E / (E - len(nu)))


@dataclass(frozen=True)
class FTest:
    F: float
    df_num: int
    df_den: float
    p: float


def f_test(vm: VarianceModel, beta, L) -> FTest:
    """F test of Lβ = 0 with Satterthwaite denominator df (lmerTest's ``contestMD``)."""
    L = np.atleast_2d(np.asarray(L, float))
    beta = np.asarray(beta, float)
    VL = L @ vm.C @ L.T
    d, P = np.linalg.eigh(VL)
    order = np.argsort(d)[::-1]
    d, P = d[order], P[:, order]
    keep = d > max(np.finfo(float).eps ** 0.5 * d[0], 0)
    q = int(keep.sum())
    PtL = (P.T @ L)[:q]
    t2 = (PtL @ beta) ** 2 / d[:q]
    F = float(t2.sum() / q)
    nu = np.array([contrast_df(vm, row) for row in PtL])
    df = _fstat_ddf(nu)
    return FTest(F=F, df_num=q, df_den=df, p=float(stats.f.sf(F, q, df)))
