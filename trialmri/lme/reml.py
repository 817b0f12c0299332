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

Voxels go through in chunks to bound memory; there is no loop over voxels. The p x p matrices M(λ)
(one per voxel) are factorised M = L·Lᵀ entry by entry over all voxels at once (:func:`spd_inverse`):
M⁻¹, log|M| and the Wald statistics come from L⁻¹, with no general (LU) inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special
from threadpoolctl import threadpool_limits

from trialmri.stats.formula import Design, NotEstimable
from trialmri.lme.nlme_df import fixed_effect_df

GRID = np.concatenate([[0.0], np.logspace(-4, 4, 25)])  # λ = σ_b²/σ²
LAMBDA_MAX = 1e8
NEWTON_STEPS = 60
CHUNK = 16384

# reasons a voxel is not fitted (0 = fitted)
FITTED, ALL_MISSING, SOME_MISSING, CONSTANT, EXACT_FIT = 0, 1, 2, 3, 4
REASONS = {FITTED: "fitted", ALL_MISSING: "all values missing (NaN)",
           SOME_MISSING: "missing (NaN/Inf) in some rows", CONSTANT: "constant across rows",
           EXACT_FIT: "fixed effects fit exactly (no residual variance)"}


def inverse_cholesky(M: np.ndarray) -> tuple[list, np.ndarray]:
    """W = L⁻¹ for the Cholesky factor M = L·Lᵀ of symmetric positive-definite p x p matrices,
    and log|M| = 2·Σ log L_jj; matrices last: ``M`` (p, p, C).

    L is computed entry by entry over all C matrices at once (p, the number of fixed effects, is a
    few), then W by forward substitution. W is returned as nested lists, ``W[i][j]`` (C,) for
    i >= j (W is lower triangular). A matrix that is not positive definite gives NaN."""
    p = M.shape[0]
    L = [[None] * p for _ in range(p)]
    log_det = np.zeros(M.shape[2:])
    for j in range(p):
        pivot = M[j, j] - sum(L[j][k] * L[j][k] for k in range(j))
        with np.errstate(invalid="ignore", divide="ignore"):
            L[j][j] = np.sqrt(pivot)
            log_det += np.log(pivot)
            inv_pivot = 1.0 / L[j][j]
        for i in range(j + 1, p):
            L[i][j] = (M[i, j] - sum(L[i][k] * L[j][k] for k in range(j))) * inv_pivot
    W = [[None] * p for _ in range(p)]
    for i in range(p):
        with np.errstate(divide="ignore"):
            W[i][i] = 1.0 / L[i][i]
        for j in range(i):
            W[i][j] = -W[i][i] * sum(L[i][k] * W[k][j] for k in range(j, i))
    return W, log_det


def spd_inverse(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-determinant of symmetric positive-definite p x p matrices, matrices last:
    ``M`` (p, p, C) -> P = M⁻¹ = Wᵀ·W (p, p, C) with W = L⁻¹ (:func:`inverse_cholesky`), and
    log|M| (C,). About a sixth of the CPU time of a batched LU inverse (``np.linalg.inv``) of
    5 x 5 matrices, and as exact (backward stable for positive-definite M)."""
    W, log_det = inverse_cholesky(M)
    p = M.shape[0]
    P = np.empty(M.shape)
    for i in range(p):
        for j in range(i + 1):
            P[i, j] = P[j, i] = sum(W[k][i] * W[k][j] for k in range(i, p))
    return P, log_det


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
            raise NotEstimable(f"{self.n_rows} rows cannot estimate {self.n_cols} fixed effects and a "
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
        """``Y`` (N, C) float64 -> b (K+1, p, C), c (K+1, C) and the subject means (M, C).

        The within-subject sum of squares is Σy² - Σ n ȳ²: exact enough while the maps' offset is
        below ~10⁶ times their spread (float64)."""
        y_mean = self.average @ Y
        between_ss = np.einsum("m,mc,mc->c", self.rows_per_subject, y_mean, y_mean)
        b = [self.x_within.T @ Y]
        c = [np.einsum("nc,nc->c", Y, Y) - between_ss]  # within-subject sum of squares
        for members in self.size_members:
            n = self.rows_per_subject[members][:, None]
            ym = y_mean[members]
            b.append((self.x_mean[members] * n).T @ ym)
            c.append(np.einsum("mc,mc->c", n * ym, ym))
        return np.stack(b), np.stack(c), y_mean

    def _log_det_v(self, lam):
        return np.tensordot(self.size_counts, np.log1p(np.multiply.outer(self.sizes, lam)), axes=1)

    # --- REML criterion ------------------------------------------------------------------------
    def _grid_operator(self):
        """For every grid λ: the weighted, whitened map from b to z (R = q - |z|²) and log|M|."""
        if not hasattr(self, "_grid"):
            p, k = self.n_cols, len(self.sizes)
            weights = 1.0 / (1.0 + np.multiply.outer(GRID, self.sizes))  # (G, K+1)
            W, log_det_m = inverse_cholesky(np.einsum("gk,kij->ijg", weights, self.A))  # M(λ) for every λ
            inv = np.zeros((len(GRID), p, p))  # L⁻¹ per grid λ
            for i in range(p):
                for j in range(i + 1):
                    inv[:, i, j] = W[i][j]
            op = weights[:, None, :, None] * inv[:, :, None, :]
            self._grid = (op.reshape(len(GRID) * p, k * p), weights, log_det_m, self._log_det_v(GRID))
        return self._grid

    def loglik_grid(self, b, c) -> np.ndarray:
        """ℓ_REML (G, C) at every grid λ for every voxel: one matrix product for the whole grid."""
        op, weights, log_det_m, log_det_v = self._grid_operator()
        z = (op @ b.reshape(-1, b.shape[-1])).reshape(len(GRID), self.n_cols, -1)
        rss = weights @ c - np.einsum("gpc,gpc->gc", z, z)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.loglik_constant - 0.5 * (self.dof * np.log(rss / self.dof)
                                                 + (log_det_v + log_det_m)[:, None])

    def evaluate(self, b, c, lam: np.ndarray, derivatives: bool = False) -> dict:
        """At a per-voxel λ (C,): β (p, C), M⁻¹ (p, p, C), R, and ℓ, or with ``derivatives``
        dℓ/dλ and d²ℓ/dλ² instead of ℓ. Voxels stay last so every step is a vector operation."""
        p, k = self.n_cols, len(self.sizes)
        flat_a = self.A.reshape(k, p * p).T  # (p², K+1)
        w = 1.0 / (1.0 + np.multiply.outer(self.sizes, lam))  # (K+1, C)
        M = (flat_a @ w).reshape(p, p, -1)
        P, log_det_m = spd_inverse(M)
        u = np.einsum("kc,kpc->pc", w, b)
        beta = np.einsum("ijc,jc->ic", P, u)
        rss = np.einsum("kc,kc->c", w, c) - np.einsum("pc,pc->c", u, beta)
        out = {"P": P, "beta": beta, "rss": rss}
        if not derivatives:  # (Newton steps need only the derivatives)
            with np.errstate(divide="ignore", invalid="ignore"):
                out["loglik"] = self.loglik_constant - 0.5 * (self.dof * np.log(rss / self.dof)
                                                              + self._log_det_v(lam) + log_det_m)
            return out
        s = self.sizes[:, None]
        d1, d2 = -s * w**2, 2 * s**2 * w**3  # dw/dλ, d²w/dλ²
        M1 = (flat_a @ d1).reshape(p, p, -1)
        M2 = (flat_a @ d2).reshape(p, p, -1)
        u1 = np.einsum("kc,kpc->pc", d1, b)
        u2 = np.einsum("kc,kpc->pc", d2, b)
        m1b = np.einsum("ijc,jc->ic", M1, beta)
        m2b = np.einsum("ijc,jc->ic", M2, beta)
        beta1 = np.einsum("ijc,jc->ic", P, u1 - m1b)
        dot = lambda x, y: np.einsum("pc,pc->c", x, y)  # noqa: E731
        r1 = np.einsum("kc,kc->c", d1, c) - 2 * dot(u1, beta) + dot(beta, m1b)
        r2 = (np.einsum("kc,kc->c", d2, c) - 2 * dot(u2, beta) - 2 * dot(u1, beta1)
              + 2 * dot(beta1, m1b) + dot(beta, m2b))
        PM1 = np.einsum("ijc,jkc->ikc", P, M1)
        tr1 = np.einsum("iic->c", PM1)
        tr2 = np.einsum("ijc,ijc->c", P, M2) - np.einsum("ijc,jic->c", PM1, PM1)
        v1 = np.tensordot(self.size_counts * self.sizes, w, axes=1)
        v2 = -np.tensordot(self.size_counts * self.sizes**2, w**2, axes=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["grad"] = -0.5 * (self.dof * r1 / rss + v1 + tr1)
            out["hess"] = -0.5 * (self.dof * (r2 / rss - (r1 / rss) ** 2) + v2 + tr2)
        return out

    @staticmethod
    def _parabolic_start(grid_ll, best) -> np.ndarray:
        """Start of the Newton steps: the vertex of the parabola through the best grid point and its
        neighbours in log λ (the grid is log-spaced from GRID[1]); the grid point where that fails."""
        lam = GRID[best].copy()
        inner = (best >= 2) & (best <= len(GRID) - 2)
        cols = np.flatnonzero(inner)
        i = best[cols]
        y0, y1, y2 = grid_ll[i - 1, cols], grid_ll[i, cols], grid_ll[i + 1, cols]
        curvature = y0 - 2 * y1 + y2
        with np.errstate(divide="ignore", invalid="ignore"):
            offset = 0.5 * (y0 - y2) / curvature  # in grid steps, within (-0.5, 0.5) when concave
        ok = (curvature < 0) & (np.abs(offset) < 1)
        step = np.log(GRID[2] / GRID[1])
        lam[cols[ok]] = GRID[i[ok]] * np.exp(offset[ok] * step)
        return lam

    def optimise(self, b, c) -> tuple[np.ndarray, dict]:
        """REML λ per voxel: best grid point, then safeguarded Newton inside its bracket.

        Returns λ and ``evaluate`` at it."""
        grid_ll = self.loglik_grid(b, c)
        best = np.argmax(np.where(np.isnan(grid_ll), -np.inf, grid_ll), axis=0)
        lo = GRID[np.maximum(best - 1, 0)].copy()
        hi = np.where(best + 1 < len(GRID), GRID[np.minimum(best + 1, len(GRID) - 1)], LAMBDA_MAX)
        lam = self._parabolic_start(grid_ll, best)
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
            step_ok = (h < 0) & (newton >= l_) & (newton <= h_)
            new = np.where(step_ok, newton, middle)
            # quadratic convergence: after a Newton step of δ the error is about δ² (relative: < 1e-7)
            done = at_boundary | (step_ok & (np.abs(new - x) <= 3e-4 * x + 1e-13)) | (h_ - l_ <= 1e-11 * h_)
            lam[idx] = np.where(at_boundary, 0.0, new)
            active[idx[done]] = False
        ev = self.evaluate(b, c, lam)
        # λ = 0 is a candidate too: where its likelihood is at least as good, take the boundary
        zero = (grid_ll[0] >= np.nan_to_num(ev["loglik"], nan=-np.inf)) & (lam > 0)
        if zero.any():
            lam[zero] = 0.0
            at_zero = self.evaluate(b[..., zero], c[:, zero], lam[zero])
            for key in ev:
                ev[key][..., zero] = at_zero[key]
        return lam, ev


def _reason_before_fit(Y: np.ndarray) -> np.ndarray:
    """Per voxel: FITTED, or why not (missing values, constant)."""
    reason = np.zeros(Y.shape[1], np.int8)
    bad = np.flatnonzero(~np.isfinite(Y.sum(axis=0, dtype=np.float64)))  # NaN/Inf propagate
    if bad.size:
        finite = np.isfinite(Y[:, bad])
        reason[bad] = np.where(finite.any(0), SOME_MISSING, ALL_MISSING)
    with np.errstate(invalid="ignore"):
        high, low = Y.max(axis=0), Y.min(axis=0)
        scale = np.maximum(np.maximum(np.abs(high), np.abs(low)), np.finfo(np.float32).tiny)
        constant = (high - low) <= 1e-7 * scale
    reason[constant & (reason == FITTED)] = CONSTANT
    return reason


def _two_sided_t(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """P(|T| > |t|) for T ~ t(df), df per row, via the regularized incomplete beta function."""
    df = np.asarray(df, float)[:, None]
    with np.errstate(invalid="ignore"):
        return special.betainc(df / 2, 0.5, df / (df + t**2))


def f_sf(F: np.ndarray, df_num: float, df_den: float) -> np.ndarray:
    """P(F(df_num, df_den) > F), via the regularized incomplete beta function (3x faster than
    scipy's ``fdtrc`` on large arrays)."""
    with np.errstate(invalid="ignore"):
        return special.betainc(df_den / 2, df_num / 2, df_den / (df_den + df_num * np.asarray(F, np.float64)))


def _fit_chunk(model: RandomInterceptModel, design: Design, y: np.ndarray, idx: np.ndarray, out: dict,
               reason: np.ndarray) -> None:
    """Fit the voxels ``idx`` (a slice or positions; data ``y``, rows x voxels, float64) into
    ``out``; ``y`` is overwritten with the conditional residuals y - Xβ - b̂ (nlme's default level)."""
    b, c, y_mean = model.moments(y)
    lam, ev = model.optimise(b, c)
    rss = ev["rss"]
    sigma2 = rss / model.dof
    beta = ev["beta"]
    out["beta"][:, idx] = beta
    out["se"][:, idx] = np.sqrt(np.einsum("iic->ic", ev["P"]) * sigma2)
    out["var_resid"][idx], out["ratio"][idx], out["loglik"][idx] = sigma2, lam, ev["loglik"]
    for t in range(len(design.terms)):
        cols = design.assign == t
        bt = beta[cols]
        cov = ev["P"][cols][:, cols]  # (r, r, C), in units of σ²
        if cols.sum() == 1:
            wald = bt[0] ** 2 / cov[0, 0]
        else:  # β'·cov⁻¹·β = |L⁻¹β|² with cov = L·Lᵀ
            W = inverse_cholesky(cov)[0]
            wald = sum(sum(W[i][j] * bt[j] for j in range(i + 1)) ** 2 for i in range(len(bt)))
        out["F"][t, idx] = wald / sigma2 / cols.sum()
    lam_n = lam[None, :] * model.rows_per_subject[:, None]
    blup = lam_n / (1 + lam_n) * (y_mean - model.x_mean @ beta)  # subject effects b̂
    y -= model.X @ beta
    y -= blup[model.codes]
    exact = ~(rss > 1e-12 * np.einsum("kc->c", c))
    if exact.any():
        reason[np.arange(reason.size)[idx][exact]] = EXACT_FIT


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
    resid = np.empty((n, v), np.float32) if residuals else None
    starts = range(0, v, chunk)
    if progress:
        from tqdm import tqdm
        starts = tqdm(starts, desc="LME fit", unit="chunk")
    # small matrices: BLAS threads would only add overhead (and CPU time)
    with threadpool_limits(limits=1, user_api="blas"):
        for start in starts:
            span = slice(start, min(start + chunk, v))
            ok = reason[span] == FITTED
            whole = ok.all()  # (a slice indexes faster than positions)
            y = (Y[:, span] if whole else Y[:, span][:, ok]).astype(np.float64)
            idx = span if whole else np.arange(span.start, span.stop)[ok]
            if y.shape[1]:
                _fit_chunk(model, design, y, idx, out, reason)
            if residuals:  # _fit_chunk left the residuals in y
                if whole:
                    resid[:, span] = y
                else:
                    resid[:, span] = np.nan
                    resid[:, idx] = y
    bad = reason != FITTED
    for key in out:
        out[key][..., bad] = np.nan
    if resid is not None:
        resid[:, bad] = np.nan
    t_stat = out["beta"] / out["se"]
    p_t = _two_sided_t(t_stat, column_df)
    p_f = np.empty_like(out["F"])
    for t in range(n_terms):
        cols = np.flatnonzero(design.assign == t)
        if cols.size == 1 and column_df[cols[0]] == term_df[t]:
            p_f[t] = p_t[cols[0]]  # F(1, d) = t(d)²: the same p
        else:
            p_f[t] = f_sf(out["F"][t], num_df[t], term_df[t])
    return VoxelwiseFit(design=design, beta=out["beta"], se=out["se"], t=t_stat, p_t=p_t, F=out["F"],
                        p=p_f, num_df=num_df, den_df=term_df, column_df=column_df,
                        var_subject=out["ratio"] * out["var_resid"], var_resid=out["var_resid"],
                        ratio=out["ratio"], loglik=out["loglik"], boundary=out["ratio"] == 0,
                        reason=reason, resid=resid)
