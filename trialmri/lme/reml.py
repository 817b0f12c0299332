"""Random-intercept linear mixed model fitted by REML at every voxel at once (what 3dLME asks of
``nlme::lme(y ~ X, random = ~1|subject)`` one voxel at a time).

Model at each voxel: y = X·β + b[subject] + e, b ~ N(0, σ_b²), e ~ N(0, σ²). Only the variance
ratio λ = σ_b²/σ² changes the covariance, and it does so the same way at every voxel, so the data are
transformed once: within each subject, deviations from the subject mean carry variance σ², and the
subject mean (scaled by √n_i) carries σ²(1 + λ·n_i). Grouping subjects by their number of rows k,
every quantity REML needs is a λ-weighted sum of a few sufficient statistics per voxel (weights
w_k = 1/(1 + λk); k = 0 is the within part):

    M(λ) = Σ w_k A_k  (p x p, = X'V⁻¹X),  u(λ) = Σ w_k b_k,  q(λ) = Σ w_k c_k,
    R(λ) = q - u'M⁻¹u (generalised residual sum of squares),  σ² = R/(N - p),
    ℓ_REML(λ) = -½[(N-p)(log 2πσ² + 1) + Σ_i log(1 + λ n_i) + log|M|]

(nlme's ``logLik(fit)`` for ``method = "REML"``, constant included). λ is found
for all voxels together: ℓ on a shared grid of λ (one p x p factorisation per grid point, then a
matrix product over voxels), then safeguarded Newton steps on dℓ/dλ per voxel inside the grid
bracket of the best point, using exact first and second derivatives. λ = 0 (no subject variance)
is always a candidate: a voxel whose REML optimum is on that boundary gets it, which nlme (whose
log-scale parameter cannot reach 0) only approaches.

Voxels go through in chunks to bound memory; there is no loop over voxels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from trialmri.lme.design import Design
from trialmri.lme.nlme_df import fixed_effect_df

GRID = np.concatenate([[0.0], np.logspace(-4, 4, 49)])  # λ = σ_b²/σ²
LAMBDA_MAX = 1e8
NEWTON_STEPS = 60
CHUNK = 16384

# reasons a voxel is not fitted (0 = fitted)
FITTED, ALL_MISSING, SOME_MISSING, CONSTANT, EXACT_FIT = 0, 1, 2, 3, 4
REASONS = {FITTED: "fitted", ALL_MISSING: "all values missing (NaN)",
           SOME_MISSING: "missing (NaN/Inf) in some rows", CONSTANT: "constant across rows",
           EXACT_FIT: "fixed effects fit exactly (no residual variance)"}


@dataclass
class VoxelwiseFit:
    """Per-voxel results (voxels along the last axis; NaN where ``reason`` != 0).

    ``beta``, ``se``, ``t`` (p, V) per design column; ``F``, ``p`` (terms, V) per term with
    ``num_df``/``den_df``; ``column_df`` per column (t tests); ``var_subject``/``var_resid``
    (σ_b², σ²), ``ratio`` λ, ``loglik`` (REML, nlme's convention), ``boundary`` (λ = 0);
    ``resid`` (N, V) float32 conditional residuals y - Xβ - b̂ (nlme's default level) or None.
    """

    design: Design
    beta: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p_t: np.ndarray
    F: np.ndarray
    p: np.ndarray
    num_df: np.ndarray
    den_df: np.ndarray
    column_df: np.ndarray
    var_subject: np.ndarray
    var_resid: np.ndarray
    ratio: np.ndarray
    loglik: np.ndarray
    boundary: np.ndarray
    reason: np.ndarray
    resid: np.ndarray | None

    @property
    def counts(self) -> dict[str, int]:
        return {REASONS[code]: int(np.sum(self.reason == code)) for code in REASONS}


class RandomInterceptModel:
    """The transform and per-size blocks of one design; ``subject``: one label per row."""

    def __init__(self, X: np.ndarray, subject):
        X = np.asarray(X, float)
        labels, codes = np.unique(np.asarray(subject).astype(str), return_inverse=True)
        self.X, self.codes = X, codes
        self.n_rows, self.n_cols = X.shape
        self.n_subjects = len(labels)
        if self.n_rows - self.n_cols < 1:
            raise ValueError(f"{self.n_rows} rows cannot estimate {self.n_cols} fixed effects and a "
                             "residual variance")
        self.rows_per_subject = np.bincount(codes).astype(float)
        self.average = np.zeros((self.n_subjects, self.n_rows))
        self.average[codes, np.arange(self.n_rows)] = 1.0 / self.rows_per_subject[codes]
        self.x_mean = self.average @ X
        self.x_within = X - self.x_mean[codes]
        self.sizes = np.concatenate([[0.0], np.unique(self.rows_per_subject)])
        self.size_members = [np.flatnonzero(self.rows_per_subject == k) for k in self.sizes[1:]]
        self.size_counts = np.array([0.0] + [len(m) for m in self.size_members])
        blocks = [self.x_within.T @ self.x_within]
        for members in self.size_members:
            xm = self.x_mean[members] * np.sqrt(self.rows_per_subject[members])[:, None]
            blocks.append(xm.T @ xm)
        self.A = np.stack(blocks)  # (K+1, p, p)
        self.dof = self.n_rows - self.n_cols
        self.loglik_constant = -0.5 * self.dof * (np.log(2 * np.pi) + 1)

    # --- sufficient statistics -------------------------------------------------------------------
    def moments(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Y`` (N, C) float64 -> b (K+1, p, C), c (K+1, C) and the subject means (M, C)."""
        y_mean = self.average @ Y
        within = Y - y_mean[self.codes]
        b = [self.x_within.T @ Y]
        c = [np.einsum("nc,nc->c", within, within)]
        for members in self.size_members:
            n = self.rows_per_subject[members][:, None]
            ym = y_mean[members]
            b.append((self.x_mean[members] * n).T @ ym)
            c.append(np.einsum("mc,mc->c", n * ym, ym))
        return np.stack(b), np.stack(c), y_mean

    def _log_det_v(self, lam):
        return np.tensordot(self.size_counts, np.log1p(np.multiply.outer(self.sizes, lam)), axes=1)

    # --- REML criterion ------------------------------------------------------------------------
    def loglik_shared(self, b, c, lam: float) -> np.ndarray:
        """ℓ_REML at one λ for every voxel of the chunk."""
        w = 1.0 / (1.0 + lam * self.sizes)
        chol = np.linalg.cholesky(np.tensordot(w, self.A, axes=1))
        z = linalg.solve_triangular(chol, np.tensordot(w, b, axes=1), lower=True)
        rss = np.tensordot(w, c, axes=1) - np.einsum("pc,pc->c", z, z)
        log_det_m = 2 * np.sum(np.log(np.diag(chol)))
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.loglik_constant - 0.5 * (self.dof * np.log(rss / self.dof)
                                                 + self._log_det_v(lam) + log_det_m)

    def evaluate(self, b, c, lam: np.ndarray, derivatives: bool = False) -> dict:
        """Everything at a per-voxel λ (C,): β, M⁻¹, R, ℓ and, if asked, dℓ/dλ and d²ℓ/dλ²."""
        w = 1.0 / (1.0 + np.multiply.outer(self.sizes, lam))  # (K+1, C)
        M = np.einsum("kc,kij->cij", w, self.A)
        P = np.linalg.inv(M)
        u = np.einsum("kc,kpc->cp", w, b)
        beta = np.einsum("cij,cj->ci", P, u)
        rss = np.einsum("kc,kc->c", w, c) - np.einsum("cp,cp->c", u, beta)
        log_det_m = np.linalg.slogdet(M)[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = self.loglik_constant - 0.5 * (self.dof * np.log(rss / self.dof)
                                               + self._log_det_v(lam) + log_det_m)
        out = {"P": P, "beta": beta, "rss": rss, "loglik": ll, "w": w}
        if not derivatives:
            return out
        s = self.sizes[:, None]
        d1, d2 = -s * w**2, 2 * s**2 * w**3  # dw/dλ, d²w/dλ²
        M1 = np.einsum("kc,kij->cij", d1, self.A)
        M2 = np.einsum("kc,kij->cij", d2, self.A)
        u1 = np.einsum("kc,kpc->cp", d1, b)
        u2 = np.einsum("kc,kpc->cp", d2, b)
        m1b = np.einsum("cij,cj->ci", M1, beta)
        r1 = np.einsum("kc,kc->c", d1, c) - 2 * np.einsum("cp,cp->c", u1, beta) + np.einsum("cp,cp->c", beta, m1b)
        beta1 = np.einsum("cij,cj->ci", P, u1 - m1b)
        r2 = (np.einsum("kc,kc->c", d2, c) - 2 * np.einsum("cp,cp->c", u2, beta)
              - 2 * np.einsum("cp,cp->c", u1, beta1) + 2 * np.einsum("cp,cp->c", beta1, m1b)
              + np.einsum("ci,cij,cj->c", beta, M2, beta))
        PM1 = P @ M1
        tr1 = np.einsum("cii->c", PM1)
        tr2 = np.einsum("cij,cij->c", P, M2) - np.einsum("cij,cji->c", PM1, PM1)
        v1 = np.tensordot(self.size_counts * self.sizes, w, axes=1)
        v2 = -np.tensordot(self.size_counts * self.sizes**2, w**2, axes=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["grad"] = -0.5 * (self.dof * r1 / rss + v1 + tr1)
            out["hess"] = -0.5 * (self.dof * (r2 / rss - (r1 / rss) ** 2) + v2 + tr2)
        return out

    def optimise(self, b, c) -> np.ndarray:
        """REML λ per voxel: best grid point, then safeguarded Newton inside its bracket."""
        grid_ll = np.stack([self.loglik_shared(b, c, g) for g in GRID])
        best = np.nanargmax(np.where(np.isnan(grid_ll), -np.inf, grid_ll), axis=0)
        lam = GRID[best].copy()
        lo = GRID[np.maximum(best - 1, 0)].copy()
        hi = np.where(best + 1 < len(GRID), GRID[np.minimum(best + 1, len(GRID) - 1)], LAMBDA_MAX)
        active = np.ones(lam.shape, bool)
        for _ in range(NEWTON_STEPS):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            ev = self.evaluate(b[..., idx], c[:, idx], lam[idx], derivatives=True)
            g, h, x = ev["grad"], ev["hess"], lam[idx]
            at_boundary = (x == 0) & (g <= 0)  # REML optimum on λ = 0
            up = g > 0
            lo[idx] = np.where(up, x, lo[idx])
            hi[idx] = np.where(up, hi[idx], x)
            l_, h_ = lo[idx], hi[idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = x - g / h
            middle = np.where(l_ > 0, np.sqrt(l_ * np.minimum(h_, LAMBDA_MAX)), 0.5 * h_)
            step_ok = (h < 0) & (newton > l_) & (newton < h_)
            new = np.where(step_ok, newton, middle)
            done = at_boundary | (np.abs(new - x) <= 1e-10 * x + 1e-14) | (h_ - l_ <= 1e-12 * h_)
            lam[idx] = np.where(at_boundary, 0.0, new)
            active[idx[done]] = False
        # the boundary and the best grid point are candidates too: keep the best likelihood
        ll = self.evaluate(b, c, lam)["loglik"]
        ll0 = grid_ll[0]
        lam = np.where(ll0 >= np.nan_to_num(ll, nan=-np.inf), 0.0, lam)
        return lam


def _reason_before_fit(Y: np.ndarray) -> np.ndarray:
    finite = np.isfinite(Y)
    reason = np.zeros(Y.shape[1], np.int8)
    reason[~finite.any(0)] = ALL_MISSING
    reason[finite.any(0) & ~finite.all(0)] = SOME_MISSING
    ok = reason == FITTED
    y = Y[:, ok]
    spread = y.max(0) - y.min(0)
    scale = np.maximum(np.abs(y).max(0), np.finfo(np.float32).tiny)
    sub = np.flatnonzero(ok)
    reason[sub[spread <= 1e-7 * scale]] = CONSTANT
    return reason


def fit_voxels(Y: np.ndarray, design: Design, subject, residuals: bool = True,
               chunk: int = CHUNK, progress: bool = False) -> VoxelwiseFit:
    """Fit the model at every column of ``Y`` (rows x voxels, any float dtype)."""
    model = RandomInterceptModel(design.X, subject)
    n, v = Y.shape
    if n != model.n_rows:
        raise ValueError(f"{n} data rows for a design of {model.n_rows} rows")
    p, n_terms = model.n_cols, len(design.terms)
    column_df, term_df = fixed_effect_df(design.X, model.codes, design.assign)
    num_df = np.array([np.sum(design.assign == t) for t in range(n_terms)], float)
    reason = _reason_before_fit(Y)
    nan = lambda *shape: np.full(shape, np.nan)  # noqa: E731
    out = dict(beta=nan(p, v), se=nan(p, v), F=nan(n_terms, v), var_resid=nan(v), ratio=nan(v),
               loglik=nan(v))
    resid = np.full((n, v), np.nan, np.float32) if residuals else None
    fit_idx = np.flatnonzero(reason == FITTED)
    starts = range(0, fit_idx.size, chunk)
    if progress:
        from tqdm import tqdm
        starts = tqdm(starts, desc="LME fit", unit="chunk")
    for start in starts:
        idx = fit_idx[start:start + chunk]
        y = np.asarray(Y[:, idx], np.float64)
        b, c, y_mean = model.moments(y)
        lam = model.optimise(b, c)
        ev = model.evaluate(b, c, lam)
        rss = ev["rss"]
        exact = ~(rss > 1e-12 * np.einsum("kc->c", c))
        sigma2 = rss / model.dof
        cov_diag = np.einsum("cii->ic", ev["P"]) * sigma2
        beta = ev["beta"].T
        out["beta"][:, idx], out["se"][:, idx] = beta, np.sqrt(cov_diag)
        out["var_resid"][idx], out["ratio"][idx], out["loglik"][idx] = sigma2, lam, ev["loglik"]
        for t in range(n_terms):
            cols = design.assign == t
            bt = ev["beta"][:, cols]
            cov = ev["P"][:, cols][:, :, cols] * sigma2[:, None, None]
            out["F"][t, idx] = np.einsum("ci,ci->c", bt, np.linalg.solve(cov, bt[..., None])[..., 0]) / cols.sum()
        if residuals:
            shrink = lam[None, :] * model.rows_per_subject[:, None] / (1 + lam[None, :] * model.rows_per_subject[:, None])
            blup = shrink * (y_mean - model.x_mean @ beta)
            resid[:, idx] = (y - design.X @ beta - blup[model.codes]).astype(np.float32)
        reason[idx[exact]] = EXACT_FIT
    bad = reason != FITTED
    for key in out:
        out[key][..., bad] = np.nan
    if resid is not None:
        resid[:, bad] = np.nan
    t_stat = out["beta"] / out["se"]
    with np.errstate(invalid="ignore"):
        p_t = 2 * stats.t.sf(np.abs(t_stat), column_df[:, None])
        p_f = stats.f.sf(out["F"], num_df[:, None], term_df[:, None])
    return VoxelwiseFit(design=design, beta=out["beta"], se=out["se"], t=t_stat, p_t=p_t, F=out["F"],
                        p=p_f, num_df=num_df, den_df=term_df, column_df=column_df,
                        var_subject=out["ratio"] * out["var_resid"], var_resid=out["var_resid"],
                        ratio=out["ratio"], loglik=out["loglik"], boundary=out["ratio"] == 0,
                        reason=reason, resid=resid)
