"""Gradient tables in FSL's layout (``.bval``: one row of b in s/mm²; ``.bvec``: 3 rows x N).

Convention: FSL bvecs are unit vectors in the image's voxel axes (x flipped when the affine has
a positive determinant). Scalar tensor metrics (MD, FA, AD, RD) do not depend on that frame, so
the tensor fit uses the vectors as written.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from trialmri.errors import InputError
from trialmri.atomic import writing

B0_THRESHOLD = 50.0  # s/mm²: volumes at or below this count as b = 0, as in FSL and MRtrix3


def read_fsl_gradients(bval_path, bvec_path, n_volumes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(bvals (N,), bvecs (N, 3))`` from FSL files; every problem is a ValueError naming the file.

    A bvec file written N x 3 (as some tools do) is accepted and transposed when N != 3.
    """
    bval_path, bvec_path = Path(bval_path), Path(bvec_path)
    bvals = read_bvals(bval_path)
    bvecs = _numbers(bvec_path, "b-vectors")
    if bvecs.shape[0] != 3 and bvecs.shape[1] == 3:
        bvecs = bvecs.T
    if bvecs.shape[0] != 3:
        raise ValueError(f"{bvec_path}: b-vectors must be 3 rows x N columns (FSL layout), found shape "
                         f"{bvecs.shape}")
    bvecs = bvecs.T
    if not np.all(np.isfinite(bvecs)):
        rows = sorted({int(i) for i in np.argwhere(~np.isfinite(bvecs))[:, 0]})
        raise ValueError(f"{bvec_path}: non-finite b-vector for volume(s) {rows}; write 0 0 0 for a "
                         f"b = 0 volume (FSL convention)")
    if len(bvals) != len(bvecs):
        raise ValueError(f"{bval_path} has {len(bvals)} b-values but {bvec_path} has {len(bvecs)} b-vectors")
    if n_volumes is not None and len(bvals) != n_volumes:
        raise ValueError(f"{bval_path}: {len(bvals)} b-values for an image of {n_volumes} volumes")
    if not unit_length_ok(bvals, bvecs):
        norms = np.linalg.norm(bvecs[~is_b0(bvals)], axis=1)
        raise ValueError(f"{bvec_path}: b-vectors of diffusion-weighted volumes must have unit length "
                         f"(found lengths {norms.min():.3f}-{norms.max():.3f})")
    return bvals, bvecs


def series_gradients(bval_path, bvec_path, n_volumes: int) -> tuple[np.ndarray, np.ndarray]:
    """A series' ``(bvals (N,), bvecs (N, 3))``; a b0-only series (the reverse-PE b0s of ``fmap/``:
    no bval or bvec, both paths None) is ``n_volumes`` b0s."""
    if bval_path is None and bvec_path is None:
        return np.zeros(n_volumes), np.zeros((n_volumes, 3))
    return read_fsl_gradients(bval_path, bvec_path, n_volumes=n_volumes)


def read_bvals(bval_path) -> np.ndarray:
    """b-values (N,) in s/mm² from an FSL ``.bval`` (one row; one column is accepted)."""
    bvals = _numbers(bval_path, "b-values")
    if bvals.shape[0] != 1 and bvals.shape[1] == 1:
        bvals = bvals.T
    if bvals.shape[0] != 1:
        raise ValueError(f"{bval_path}: b-values must be one row (FSL layout), found {bvals.shape[0]} rows")
    if not np.all(np.isfinite(bvals)) or np.any(bvals < 0):
        raise ValueError(f"{bval_path}: b-values must be finite and non-negative")
    return bvals[0]


def unit_length_ok(bvals: np.ndarray, bvecs: np.ndarray, tolerance: float = 0.05) -> bool:
    """Whether every diffusion-weighted volume's b-vector (``bvecs`` (N, 3)) has unit length."""
    norms = np.linalg.norm(np.asarray(bvecs, float)[~is_b0(bvals)], axis=1)
    return bool(np.all(np.abs(norms - 1) <= tolerance))


def write_fsl_gradients(bval_path, bvec_path, bvals: np.ndarray, bvecs: np.ndarray) -> None:
    """Write ``bvals (N,)`` and ``bvecs (N, 3)`` in FSL's layout."""
    with writing(bval_path) as hidden:
        np.savetxt(hidden, np.asarray(bvals, float)[None], fmt="%g")
    with writing(bvec_path) as hidden:
        np.savetxt(hidden, np.asarray(bvecs, float).T, fmt="%.8f")


def _numbers(path, what: str) -> np.ndarray:
    """A whitespace-separated table of numbers (2-D); a missing, empty or non-numeric file is an
    :class:`InputError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such {what} file; FSL layout expected beside the image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy warns on an empty file; the check below says it
            values = np.loadtxt(path, ndmin=2)
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: {what} must be numbers separated by spaces (FSL layout); "
                         f"{str(err).splitlines()[0]}") from None
    if values.size == 0:
        raise InputError(f"{path}: no {what} (empty file)")
    return values


def is_b0(bvals: np.ndarray) -> np.ndarray:
    """Boolean mask of the b = 0 volumes (b <= 50 s/mm²)."""
    return np.asarray(bvals) <= B0_THRESHOLD


def tensor_design(bvals: np.ndarray, bvecs: np.ndarray) -> np.ndarray:
    """Log-linear design ``(N, 7)``: ln S = ln S0 - b gᵀ D g, columns Dxx Dyy Dzz Dxy Dxz Dyz ln S0."""
    b = np.asarray(bvals, float)[:, None]
    g = np.asarray(bvecs, float)
    gx, gy, gz = g.T
    quad = np.stack([gx * gx, gy * gy, gz * gz, 2 * gx * gy, 2 * gx * gz, 2 * gy * gz], axis=1)
    return np.hstack([-b * quad, np.ones_like(b)])
