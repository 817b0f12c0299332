"""The small-matrix algebra of trialmri.lme.reml: batched Cholesky inverses against numpy's LU
inverse, and a multi-column term's F against generalised least squares done the long way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.lme.reml import fit_voxels, inverse_cholesky, spd_inverse
from trialmri.stats.formula import build_design


def _spd_stack(p: int, count: int, seed: int = 0) -> np.ndarray:
    """(p, p, count) symmetric positive-definite matrices, condition numbers up to ~1e6."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((count, 3 * p, p)) * np.logspace(0, 3, p)
    return np.ascontiguousarray(np.einsum("cnp,cnq->pqc", a, a))


def test_spd_inverse_and_log_det_equal_numpys():
    for p in (1, 2, 5, 7):
        M = _spd_stack(p, 300, seed=p)
        P, log_det = spd_inverse(M)
        stacked = np.moveaxis(M, -1, 0)
        assert np.allclose(np.moveaxis(P, -1, 0), np.linalg.inv(stacked), rtol=1e-9, atol=0)
        assert np.allclose(log_det, np.linalg.slogdet(stacked)[1], rtol=1e-12, atol=1e-12)
        assert np.array_equal(P, np.swapaxes(P, 0, 1))  # exactly symmetric


def test_inverse_cholesky_is_the_inverse_of_the_lower_factor():
    M = _spd_stack(4, 50)
    W, _ = inverse_cholesky(M)
    lower = np.zeros_like(M)
    for i in range(4):
        for j in range(i + 1):
            lower[i, j] = W[i][j]
    L = np.linalg.cholesky(np.moveaxis(M, -1, 0))
    assert np.allclose(np.moveaxis(lower, -1, 0), np.linalg.inv(L), rtol=1e-9, atol=1e-15)


def test_non_positive_definite_gives_nan_not_an_error():
    M = np.zeros((2, 2, 1))
    M[:, :, 0] = [[1.0, 2.0], [2.0, 1.0]]  # eigenvalues 3 and -1
    P, log_det = spd_inverse(M)
    assert np.isnan(P).any() and np.isnan(log_det).all()


def test_multi_column_term_f_equals_generalised_least_squares():
    """A 3-level factor (2 columns): F = β'·cov(β)⁻¹·β / 2 with cov(β) = σ²(X'V⁻¹X)⁻¹ and
    V = I + λZZ', at the fitted λ and σ², computed with dense matrices."""
    rng = np.random.default_rng(4)
    subjects = np.repeat([f"s{i:02d}" for i in range(18)], 2)[:-1]  # one subject with a single row
    table = pd.DataFrame({"subject": subjects, "arm": np.resize(["a", "b", "c"], subjects.size),
                          "visit": np.resize(["v1", "v2"], subjects.size)})
    design = build_design(table, "arm+visit")
    codes = np.unique(subjects, return_inverse=True)[1]
    Y = (rng.standard_normal((subjects.size, 40)) + rng.standard_normal((codes.max() + 1, 40))[codes]
         + design.X[:, 1:2] * rng.uniform(0, 2, 40))
    fit = fit_voxels(Y, design, subjects, residuals=False)
    term = design.terms.index("arm")
    cols = design.assign == term
    assert cols.sum() == 2 and (fit.reason == 0).all()
    Z = np.eye(codes.max() + 1)[codes]
    for v in range(Y.shape[1]):
        V_inv = np.linalg.inv(np.eye(subjects.size) + fit.ratio[v] * Z @ Z.T)
        info = design.X.T @ V_inv @ design.X
        beta = np.linalg.solve(info, design.X.T @ V_inv @ Y[:, v])
        cov = fit.var_resid[v] * np.linalg.inv(info)[np.ix_(cols, cols)]
        F = beta[cols] @ np.linalg.solve(cov, beta[cols]) / 2
        assert np.allclose(fit.beta[:, v], beta, rtol=1e-9, atol=1e-12)
        assert np.isclose(fit.F[term, v], F, rtol=1e-9)
