"""Seed-to-voxel and ROI-to-ROI correlation as 3dNetCorr computes it (``-fish_z -ts_wb_Z``).

An ROI's time series is the mean over its in-mask voxels. Pearson r of each ROI series with every
in-mask voxel is one matrix product of the standardized series (float64, voxels in chunks);
Fisher z = atanh(r) with |r| capped at 0.999329 (|z| <= 4), the cap 3dNetCorr applies, so the two
engines agree everywhere (the seed's own voxels reach it). Voxels with no
variance over time get r = z = 0 and are reported in ``constant``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

R_CLIP = 0.999329  # AFNI's cap on |r| before atanh (3dNetCorr, BOBatanh)
CHUNK = 65536  # voxels per product: bounds the float64 copy to ~100 MB at 200 volumes


@dataclass
class NetCorr:
    names: list[str]          # ROI names, label order
    series: np.ndarray        # (n_t, n_roi) ROI mean time series
    r: np.ndarray             # (n_roi, n_v) Pearson r with each voxel
    roi_r: np.ndarray         # (n_roi, n_roi)
    constant: np.ndarray      # (n_v,) bool, voxels without variance

    @property
    def z(self) -> np.ndarray:
        return fisher_z(self.r)

    @property
    def roi_z(self) -> np.ndarray:
        return fisher_z(self.roi_r)


def fisher_z(r: np.ndarray) -> np.ndarray:
    """atanh(r) with |r| capped at ``R_CLIP`` (|z| <= 4); same dtype as r."""
    return np.arctanh(np.clip(r, -R_CLIP, R_CLIP))


def roi_series(data: np.ndarray, voxel_labels: np.ndarray, indices) -> np.ndarray:
    """(n_t, n_roi) mean over the voxels of each label; ``data`` (n_t, n_v), ``voxel_labels`` (n_v,)."""
    member = (voxel_labels[:, None] == np.asarray(indices)[None, :]).astype(np.float64)
    counts = member.sum(0)
    if np.any(counts == 0):
        raise ValueError(f"ROI label(s) {list(np.asarray(indices)[counts == 0])} have no voxel in the mask")
    return (data @ member) / counts


def _standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns demeaned and scaled to unit norm (float64); zero-variance columns flagged."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    norm = np.sqrt(np.einsum("ij,ij->j", x, x))
    flat = norm <= 1e-12 * max(float(norm.max(initial=0.0)), 1e-300)
    x /= np.where(flat, 1.0, norm)
    x[:, flat] = 0.0
    return x, flat


def netcorr(data: np.ndarray, voxel_labels: np.ndarray, indices, names: list[str]) -> NetCorr:
    """Correlations of ROI means with every voxel. ``data`` (n_t, n_v) in-mask series;
    ``voxel_labels`` (n_v,) label of each voxel (0 = none); ``indices`` the labels, ``names`` theirs.

    The seeds are standardized (zero mean, unit norm), so ``seeds.T @ x`` needs no demeaning of
    the voxels: only each voxel's centred norm, sqrt(sum x² - n mean²), in float64.
    """
    if data.shape[0] < 3:
        raise ValueError(f"{data.shape[0]} time points: a correlation needs at least 3")
    series = roi_series(data, voxel_labels, indices)
    seeds, seed_flat = _standardize(series)
    if seed_flat.any():
        raise ValueError(f"ROI(s) {[n for n, f in zip(names, seed_flat) if f]} have a constant mean time series")
    n_t, n_v = data.shape
    r = np.empty((len(names), n_v), dtype=np.float32)
    constant = np.empty(n_v, dtype=bool)
    for start in range(0, n_v, CHUNK):
        block = np.asarray(data[:, start:start + CHUNK], dtype=np.float64)
        mean = block.mean(axis=0)
        sumsq = np.einsum("ij,ij->j", block, block) - n_t * mean**2
        norm = np.sqrt(np.clip(sumsq, 0.0, None))
        # no variance: centred norm at rounding level of the raw norm (float32 data resolve ~1e-7)
        flat = norm <= 1e-6 * np.maximum(np.sqrt(sumsq + n_t * mean**2), 1e-300)
        r[:, start:start + CHUNK] = np.where(flat, 0.0, (seeds.T @ block) / np.where(flat, 1.0, norm))
        constant[start:start + CHUNK] = flat
    return NetCorr(names=list(names), series=series, r=r, roi_r=seeds.T @ seeds, constant=constant)


def netcc_table(names: list[str], r: np.ndarray, z: np.ndarray) -> pd.DataFrame:
    """ROI x ROI r then z, one row per (stat, roi): columns ``stat, roi, <name>...``; the z diagonal
    is n/a whatever ``z`` holds there (AFNI writes its cap, 4)."""
    z = np.array(z, dtype=np.float64)
    np.fill_diagonal(z, np.nan)
    blocks = []
    for stat, matrix in (("r", r), ("z", z)):
        block = pd.DataFrame(np.asarray(matrix, dtype=np.float64), columns=names)
        block.insert(0, "roi", names)
        block.insert(0, "stat", stat)
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)
