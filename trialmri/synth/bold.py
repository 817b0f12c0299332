"""Synthetic fMRIPrep-style resting-state BOLD in MNI space, with confounds really mixed in.

Each in-brain voxel's BOLD fluctuation (1.5 % of the mean in grey matter) is a mix of latent
signals: every striatal seed's signal s (weight up to 0.8 in a Gaussian profile, sigma 4 mm,
around its left and right sphere centres), its target region's signal ``rho s + sqrt(1-rho²) u``
(sigma 6 mm), and spatially smooth local noise; all band-limited to 0.01-0.1 Hz. Added on top:
head-motion artefacts (-∇mean · displacement of the voxel), white-matter and CSF physiological
signals, a global signal and thermal noise. The confounds table holds the planted motion
parameters and the white matter, CSF and global means measured from the data, as fMRIPrep does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from trialmri.grids import Grid

MEAN_TISSUE = {"gm": 9000.0, "wm": 7000.0, "csf": 11000.0}
SEED_WEIGHT, SEED_SIGMA_MM, TARGET_SIGMA_MM = 0.8, 4.0, 6.0


def band_limited(rng: np.random.Generator, n_series: int, n_t: int, tr: float,
                 band=(0.01, 0.1)) -> np.ndarray:
    """Unit-variance Gaussian series (n_series, n_t) with power only in ``band`` (Hz)."""
    freqs = np.fft.rfftfreq(n_t, tr)
    keep = ((freqs >= band[0]) & (freqs <= band[1])).astype(float)
    spec = np.fft.rfft(rng.standard_normal((n_series, n_t)), axis=1) * keep
    out = np.fft.irfft(spec, n=n_t, axis=1)
    out -= out.mean(axis=1, keepdims=True)
    return out / np.maximum(out.std(axis=1, keepdims=True), 1e-12)


def _profile(xyz: np.ndarray, centres, sigma: float) -> np.ndarray:
    d2 = np.min([sum((xyz[a] - c[a]) ** 2 for a in range(3)) for c in centres], axis=0)
    return np.exp(-d2 / (2 * sigma**2))


def cosine_basis(n_t: int, tr: float, cutoff_s: float = 128.0) -> np.ndarray:
    """fMRIPrep's discrete cosine high-pass regressors (n_t, k) for a ``cutoff_s`` period."""
    order = int(np.floor(2 * n_t * tr / cutoff_s))
    t = np.arange(n_t)
    return np.stack([np.sqrt(2.0 / n_t) * np.cos(np.pi * (t + 0.5) * k / n_t)
                     for k in range(1, order + 1)], axis=1) if order else np.zeros((n_t, 0))


def framewise_displacement(motion: np.ndarray, radius_mm: float = 50.0) -> np.ndarray:
    """Power et al. FD (mm) from (n_t, 6) [trans mm, rot rad]; first value NaN."""
    diff = np.abs(np.diff(motion, axis=0))
    fd = diff[:, :3].sum(1) + radius_mm * diff[:, 3:].sum(1)
    return np.concatenate([[np.nan], fd])


def simulate_session(tissue: dict[str, np.ndarray], grid: Grid, n_t: int, tr: float, rho: dict,
                     seeds: dict, targets: dict, rng: np.random.Generator,
                     components: dict | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """BOLD (x, y, z, t) float32 and its confounds table for one session.

    ``rho`` maps a seed name to the latent correlation of the seed with its target region. A
    ``components`` dict, if given, receives the planted neural fluctuation alone: ``"neural"``
    (n_brain_voxels, n_t) in BOLD units and ``"voxels"``, the flat indices of those voxels.
    """
    xyz = grid.world(np.float64)
    brain = tissue["brain"] > 0.5
    mean = sum(tissue[t] * MEAN_TISSUE[t] for t in MEAN_TISSUE)
    mean = np.where(brain, mean, 2500.0 * tissue["t1"] * (tissue["t1"] > 0.08)).astype(np.float64)
    vox = np.flatnonzero(brain)
    n_v = vox.size
    # Latent signals: one per seed, one independent part per target.
    seed_sig = band_limited(rng, len(seeds), n_t, tr)
    uniq = band_limited(rng, len(seeds), n_t, tr)
    loadings, signals = [], []
    for k, name in enumerate(seeds):
        r = float(rho[name])
        target_sig = r * seed_sig[k] + np.sqrt(1 - r**2) * uniq[k]
        loadings += [SEED_WEIGHT * _profile(xyz, seeds[name], SEED_SIGMA_MM).ravel()[vox],
                     SEED_WEIGHT * _profile(xyz, targets[name]["centres"], TARGET_SIGMA_MM).ravel()[vox]]
        signals += [seed_sig[k], target_sig]
    weights = np.stack(loadings)  # (n_sources, n_v)
    weights *= np.minimum(1.0, 0.95 / np.maximum(np.sqrt((weights**2).sum(0)), 1e-12))
    local_sd = np.sqrt(np.clip(1 - (weights**2).sum(0), 0, 1))
    # Spatially smooth local noise (FWHM ~ 6 mm), band-limited in time.
    white = rng.standard_normal((*grid.shape, n_t)).astype(np.float32)
    sigma = (6.0 / 2.355) / grid.voxel_mm
    smooth = ndimage.gaussian_filter(white, (*sigma, 0.0)).reshape(-1, n_t)[vox]
    freqs = np.fft.rfftfreq(n_t, tr)
    smooth = np.fft.irfft(np.fft.rfft(smooth, axis=1) * ((freqs >= 0.01) & (freqs <= 0.1)), n=n_t, axis=1)
    smooth /= np.maximum(smooth.std(axis=1, keepdims=True), 1e-12)
    neural = weights.T @ np.stack(signals) + local_sd[:, None] * smooth  # (n_v, n_t), unit variance
    amp = (0.015 * tissue["gm"] + 0.006 * tissue["wm"]).ravel()[vox] * mean.ravel()[vox]
    data = np.repeat(mean.reshape(-1, 1), n_t, axis=1).astype(np.float64)
    data[vox] += amp[:, None] * neural
    if components is not None:
        components.update(neural=amp[:, None] * neural, voxels=vox)
    # Head motion: a slow random walk, artefact = -∇mean · displacement.
    steps = rng.normal(0, 1, (n_t, 6)) * np.array([0.03, 0.04, 0.03, 0.0004, 0.0004, 0.0003])
    motion = np.cumsum(steps, axis=0)
    motion -= motion[0]
    grad = np.stack(np.gradient(mean, *grid.voxel_mm)).reshape(3, -1)
    centre = xyz.reshape(3, -1)[:, vox].mean(1)
    rel = xyz.reshape(3, -1)[:, vox] - centre[:, None]
    for t in range(n_t):
        rot = motion[t, 3:]
        disp = motion[t, :3, None] + np.cross(rot, rel.T).T
        data[vox, t] -= (grad[:, vox] * disp).sum(0)
    # Physiological noise in white matter, CSF and everywhere in the brain.
    phys = band_limited(rng, 3, n_t, tr, band=(0.005, 0.4))
    data[vox] += mean.ravel()[vox, None] * (0.01 * tissue["wm"].ravel()[vox, None] * phys[0]
                                            + 0.02 * tissue["csf"].ravel()[vox, None] * phys[1]
                                            + 0.004 * phys[2])
    data[vox] += rng.normal(0, 1, (n_v, n_t)) * 0.004 * mean.ravel()[vox, None]
    bold = data.reshape(*grid.shape, n_t).astype(np.float32)
    confounds = confounds_table(bold, tissue, motion, tr)
    return bold, confounds


def dvars(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DVARS and standardized DVARS (Nichols 2017, as fMRIPrep/nipype ``compute_dvars``) of
    (n_voxels, n_t) in-brain series; the first value of each is NaN.

    Standardized: DVARS over its expectation under stationarity, the mean over voxels of
    sqrt(2 (1 - AR1)) x robust SD (IQR / 1.349).
    """
    x = np.asarray(series, dtype=np.float64)
    sd = (np.percentile(x, 75, axis=1) - np.percentile(x, 25, axis=1)) / 1.349
    keep = sd > 0
    x, sd = x[keep], sd[keep]
    xc = x - x.mean(axis=1, keepdims=True)
    ar1 = (xc[:, 1:] * xc[:, :-1]).sum(1) / np.maximum((xc[:, :-1] ** 2).sum(1), 1e-12)
    expected = (np.sqrt(np.clip(2 * (1 - ar1), 0, None)) * sd).mean()
    raw = np.sqrt((np.diff(x, axis=1) ** 2).mean(axis=0))
    nan = np.array([np.nan])
    return np.concatenate([nan, raw]), np.concatenate([nan, raw / expected])


def confounds_table(bold: np.ndarray, tissue: dict[str, np.ndarray], motion: np.ndarray,
                    tr: float) -> pd.DataFrame:
    """fMRIPrep-named confounds: motion, WM/CSF/global means, derivatives, squares, FD, DVARS, cosines."""
    flat = bold.reshape(-1, bold.shape[-1])
    brain = tissue["brain"].ravel() > 0.5
    cols = {name: motion[:, k] for k, name in
            enumerate(["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"])}
    cols["white_matter"] = flat[brain & (tissue["wm"].ravel() > 0.9)].mean(0)
    cols["csf"] = flat[brain & (tissue["csf"].ravel() > 0.8)].mean(0)
    cols["global_signal"] = flat[brain].mean(0)
    table = pd.DataFrame(cols)
    for name in list(cols):
        deriv = np.concatenate([[np.nan], np.diff(table[name].to_numpy())])
        table[f"{name}_derivative1"] = deriv
        table[f"{name}_power2"] = table[name] ** 2
        table[f"{name}_derivative1_power2"] = deriv**2
    table["framewise_displacement"] = framewise_displacement(motion)
    table["dvars"], table["std_dvars"] = dvars(flat[brain])
    cos = cosine_basis(len(table), tr)
    for k in range(cos.shape[1]):
        table[f"cosine{k:02d}"] = cos[:, k]
    return table
