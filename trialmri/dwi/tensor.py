"""Diffusion tensor by weighted least squares, all voxels at once (FSL ``dtifit --wls``, DIPY WLS).

Model: ln S = ln S0 − b gᵀ D g. An ordinary least-squares fit of the log signal gives a first
estimate; the weights of the second, final fit are the squared predicted signals
(Salvador et al. 2005), as FSL and DIPY use. Diffusivities come out in the inverse of the
b-value's units: with b in s/mm², MD, AD and RD are in mm²/s.

Conventions of the maps: 0 outside the mask (as ``dtifit`` writes), NaN inside the mask where a
fit is impossible, counted by reason in :attr:`TensorFit.counts`:

- ``no_signal``: every volume is 0 (or not finite);
- ``too_few_volumes``: fewer than 7 volumes with signal > 0 remain (the log is undefined at 0);
- ``rank_deficient``: the remaining volumes do not determine the tensor.

Eigenvalues are not clipped: a voxel with a negative eigenvalue keeps its MD (the trace is
unbiased) and is counted in ``negative_eigenvalue``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trialmri.dwi.gradients import tensor_design

N_PARAMS = 7
METRICS = ("md", "fa", "ad", "rd")
_CHUNK = 32768  # voxels per batch: bounds memory at about 40 MB for 65 volumes


@dataclass
class TensorFit:
    """Maps with the spatial shape of the input; ``counts`` holds the QC tallies."""

    md: np.ndarray
    fa: np.ndarray
    ad: np.ndarray
    rd: np.ndarray
    s0: np.ndarray
    counts: dict = field(default_factory=dict)

    def qc_record(self) -> dict:
        """One flat row for the QC table: counts, then median MD and FA over fitted voxels."""
        fitted = np.isfinite(self.md) & (self.md != 0)
        return {**self.counts,
                "md_median_mm2_s": float(np.median(self.md[fitted])) if fitted.any() else np.nan,
                "fa_median": float(np.median(self.fa[fitted])) if fitted.any() else np.nan}


def fit_wls(data: np.ndarray, bvals: np.ndarray, bvecs: np.ndarray, mask: np.ndarray | None = None,
            progress: bool = False) -> TensorFit:
    """Fit a tensor in every mask voxel of ``data`` (X, Y, Z, N) by two-step WLS.

    ``bvals`` (N,) in s/mm², ``bvecs`` (N, 3) unit vectors (any fixed frame); voxels go through
    in chunks of array operations. Raises ValueError when the gradient table itself cannot
    determine a tensor.
    """
    data = np.asarray(data)
    if data.ndim != 4 or data.shape[-1] != len(bvals):
        raise ValueError(f"DWI of shape {data.shape} does not match {len(bvals)} b-values")
    design = tensor_design(bvals, bvecs)
    column_scale = np.abs(design).max(axis=0)
    column_scale[column_scale == 0] = 1.0
    design = design / column_scale
    if np.linalg.matrix_rank(design) < N_PARAMS:
        raise ValueError("the gradient table cannot determine a tensor: it needs a b = 0 volume and at "
                         "least 6 non-collinear diffusion directions")
    spatial = data.shape[:3]
    mask = np.ones(spatial, bool) if mask is None else np.asarray(mask, bool)
    if mask.shape != spatial:
        raise ValueError(f"mask of shape {mask.shape} does not match DWI of shape {spatial}")
    index = np.flatnonzero(mask)
    params = np.full((index.size, N_PARAMS), np.nan)
    reason = np.zeros(index.size, np.int8)  # 0 fitted, 1 no signal, 2 too few volumes, 3 rank
    flat = data.reshape(-1, data.shape[-1])
    outer = np.einsum("ni,nj->nij", design, design).reshape(len(bvals), -1)  # (N, 49)
    ols = np.linalg.pinv(design).T  # (N, 7): the OLS solution shared by voxels with every volume
    starts = range(0, index.size, _CHUNK)
    if progress:
        from tqdm import tqdm
        starts = tqdm(starts, desc="tensor fit", unit="chunk")
    for start in starts:
        part = slice(start, start + _CHUNK)
        params[part], reason[part] = _fit_chunk(flat[index[part]].astype(np.float64), design, outer, ols)
    params /= column_scale
    counts = {"n_mask": int(index.size), "n_fitted": int(np.sum(reason == 0)),
              "no_signal": int(np.sum(reason == 1)), "too_few_volumes": int(np.sum(reason == 2)),
              "rank_deficient": int(np.sum(reason == 3))}
    evals = _eigenvalues(params[:, :6])
    counts["negative_eigenvalue"] = int(np.sum(evals[:, -1] < 0))  # NaN compares False
    maps = _metrics(evals)
    maps["s0"] = np.exp(params[:, 6])
    out = {}
    for name, values in maps.items():
        volume = np.zeros(spatial, np.float64)
        volume.flat[index] = values
        out[name] = volume
    return TensorFit(counts=counts, **out)


def _fit_chunk(signal: np.ndarray, design: np.ndarray, outer: np.ndarray, ols: np.ndarray):
    """Two-step WLS for (V, N) signals; returns params (V, 7) and reason codes (V,).

    ``design`` has its columns scaled to unit maximum (b ~ 1000 vs 1) so that the normal
    matrices are well conditioned; the caller undoes the scaling.
    """
    valid = np.isfinite(signal) & (signal > 0)
    log_signal = np.log(np.where(valid, signal, 1.0))
    n_valid = valid.sum(axis=1)
    reason = np.where(n_valid == 0, 1, np.where(n_valid < N_PARAMS, 2, 0)).astype(np.int8)
    complete = n_valid == design.shape[0]
    if complete.all():  # ordinary least squares shares one pseudo-inverse
        beta = log_signal @ ols
    else:
        beta = _weighted_solve(valid.astype(np.float64), log_signal, design, outer, reason)
    weights = np.exp(np.clip(2.0 * (beta @ design.T), -700, 700))
    weights[~valid] = 0.0
    beta = _weighted_solve(weights, log_signal, design, outer, reason)
    beta[reason != 0] = np.nan
    return beta, reason


def _weighted_solve(weights, log_signal, design, outer, reason):
    """Solve (Xᵀ W X) β = Xᵀ W y per voxel; marks singular systems rank-deficient in ``reason``.

    With every volume usable the system is positive definite (the design has full rank), so the
    conditioning test runs only where volumes were dropped.
    """
    normal = (weights @ outer).reshape(-1, N_PARAMS, N_PARAMS)
    rhs = (weights * log_signal) @ design
    candidate = reason == 0
    partial = candidate & (np.count_nonzero(weights, axis=1) < weights.shape[1])
    if partial.any():
        evals = np.linalg.eigvalsh(normal[partial])
        singular = np.flatnonzero(partial)[evals[:, 0] <= 1e-10 * evals[:, -1]]
        reason[singular] = 3
        candidate[singular] = False
    if candidate.all():
        return np.linalg.solve(normal, rhs[..., None])[..., 0]
    beta = np.full(rhs.shape, np.nan)
    beta[candidate] = np.linalg.solve(normal[candidate], rhs[candidate][..., None])[..., 0]
    return beta


def _eigenvalues(six: np.ndarray) -> np.ndarray:
    """Eigenvalues (V, 3), descending, of tensors given as Dxx Dyy Dzz Dxy Dxz Dyz."""
    tensor = np.empty((len(six), 3, 3))
    for (i, j), k in {(0, 0): 0, (1, 1): 1, (2, 2): 2, (0, 1): 3, (0, 2): 4, (1, 2): 5}.items():
        tensor[:, i, j] = tensor[:, j, i] = six[:, k]
    finite = np.all(np.isfinite(six), axis=1)
    evals = np.full((len(six), 3), np.nan)
    evals[finite] = np.linalg.eigvalsh(tensor[finite])[:, ::-1]
    return evals


def _metrics(evals: np.ndarray) -> dict[str, np.ndarray]:
    """MD, FA, AD (λ1) and RD ((λ2 + λ3)/2) from descending eigenvalues."""
    md = evals.mean(axis=1)
    norm = np.sum(evals**2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fa = np.sqrt(1.5 * np.sum((evals - md[:, None]) ** 2, axis=1) / norm)
    fa = np.where(norm > 0, fa, 0.0)
    fa[~np.isfinite(md)] = np.nan
    return {"md": md, "fa": fa, "ad": evals[:, 0], "rd": evals[:, 1:].mean(axis=1)}
