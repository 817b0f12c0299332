"""Spatial smoothness of residual volumes, as AFNI's 3dFWHMx estimates it.

Two estimates, both in mm:

- the **classic** per-axis FWHM (Forman et al. 1995): for a field made by Gaussian smoothing of
  white noise, neighbours one voxel (d mm) apart correlate ``ρ = 1 − var(Δ)/(2·var)`` with
  ``ρ = exp(−d²/(4s²))``, so the kernel FWHM is ``sqrt(8 ln 2)·s = d·sqrt(−2 ln 2 / ln ρ)``;
  per volume (mask voxels, pairs with both voxels in the mask), then the geometric mean over
  volumes;
- the **ACF**: the autocorrelation of each volume at every voxel offset within a ball, i.e.
  ``Σ (f(x) − f̄)(f(x+δ) − f̄) / (var·(n_δ − 1))`` over the ``n_δ`` mask pairs (f̄ and var
  over the mask), averaged over volumes, collapsed by radius (radii within 1 % averaged) and
  fitted by least squares with AFNI's mixed model
  ``ACF(r) = a·exp(−r²/(2b²)) + (1 − a)·exp(−r/c)`` under AFNI's bounds. Its FWHM
  (``acf_fwhm_mm``, 3dFWHMx's fourth number) is twice the radius where the fitted curve is 0.5.
  For white noise smoothed by a Gaussian kernel of FWHM F the ACF is Gaussian with FWHM √2·F.

The ball's radius is 3dFWHMx's: ``max(2.999 × classic FWHM (geometric mean of the axes),
3.999 × cube root of the voxel volume)``. Sums over pairs are computed for all offsets at once
with zero-padded FFTs (exact, not approximated), several volumes per transform.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy import optimize

SIGMA_TO_FWHM = float(np.sqrt(8.0 * np.log(2.0)))
MIN_PAIRS = 9  # an offset needs more than 8 voxel pairs in the mask (3dFWHMx)
VOLUMES_PER_FFT = 8


def acf_model(r, a: float, b: float, c: float):
    """AFNI's mixed ACF model at radius ``r`` (mm): ``a·exp(−r²/(2b²)) + (1 − a)·exp(−r/c)``."""
    r = np.asarray(r, dtype=np.float64)
    return a * np.exp(-0.5 * (r / b) ** 2) + (1.0 - a) * np.exp(-r / c)


def acf_fwhm(a: float, b: float, c: float) -> float:
    """Full width at half maximum (mm) of the model curve: 2 × the radius where it is 0.5."""
    upper = 1.0
    while acf_model(upper, a, b, c) > 0.5:
        upper *= 2.0
    return 2.0 * optimize.brentq(lambda r: acf_model(r, a, b, c) - 0.5, 0.0, upper, xtol=1e-10)


@dataclass
class Smoothness:
    """Result of ``estimate_smoothness``; lengths in mm."""

    acf: tuple[float, float, float]
    acf_fwhm_mm: float
    fwhm_xyz_mm: tuple[float, float, float]
    radius_mm: float
    n_volumes: int
    n_voxels: int
    curve: dict = field(default_factory=dict)  # radius_mm, empirical, model (collapsed radii)

    def as_json(self) -> dict:
        return {"acf": list(self.acf), "acf_fwhm_mm": self.acf_fwhm_mm,
                "fwhm_xyz_mm": list(self.fwhm_xyz_mm),
                "fwhm_combined_mm": float(np.prod(self.fwhm_xyz_mm) ** (1.0 / 3.0)),
                "radius_mm": self.radius_mm, "n_volumes": self.n_volumes, "n_voxels": self.n_voxels,
                "curve": {k: [float(x) for x in v] for k, v in self.curve.items()}}


def detrend_volumes(data: np.ndarray, order: int) -> np.ndarray:
    """Remove a per-voxel Legendre polynomial of ``order`` over the volumes (last axis), as
    3dFWHMx -detrend; order 0 removes each voxel's mean."""
    n = data.shape[-1]
    basis = np.polynomial.legendre.legvander(np.linspace(-1.0, 1.0, n), order)
    flat = data.reshape(-1, n).astype(np.float64)
    coef, *_ = np.linalg.lstsq(basis, flat.T, rcond=None)
    return (flat - (basis @ coef).T).reshape(data.shape).astype(np.float32)


def classic_fwhm(volume: np.ndarray, mask: np.ndarray, voxel_mm) -> np.ndarray:
    """Per-axis classic FWHM (mm) of one volume; NaN on an axis where it is undefined."""
    vals = volume[mask].astype(np.float64)
    if vals.size < 9 or vals.var() <= 0:
        return np.full(3, np.nan)
    var = vals.var(ddof=1)
    out = np.full(3, np.nan)
    for axis in range(3):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis] = slice(None, -1)
        hi[axis] = slice(1, None)
        pair = mask[tuple(lo)] & mask[tuple(hi)]
        if pair.sum() < 6:
            continue
        diff = (volume[tuple(hi)] - volume[tuple(lo)])[pair].astype(np.float64)
        rho = 1.0 - 0.5 * diff.var(ddof=1) / var
        if 0.0 < rho < 1.0:
            out[axis] = voxel_mm[axis] * np.sqrt(-2.0 * np.log(2.0) / np.log(rho))
    return out


def _ball_offsets(radius_mm: float, voxel_mm) -> np.ndarray:
    """Integer offsets (k, 3) within ``radius_mm`` of the origin, origin excluded."""
    reach = [int(np.floor(radius_mm / v)) for v in voxel_mm]
    grid = np.stack(np.meshgrid(*[np.arange(-m, m + 1) for m in reach], indexing="ij"), -1).reshape(-1, 3)
    r = np.sqrt(((grid * np.asarray(voxel_mm)) ** 2).sum(1))
    return grid[(r <= radius_mm) & (r > 0)]


def empirical_acf(volumes: np.ndarray, mask: np.ndarray, voxel_mm, radius_mm: float,
                  progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Mean ACF over ``volumes`` (x, y, z, n) at every offset within ``radius_mm``.

    Returns (radius_mm per offset, ACF per offset); offsets with too few mask pairs are dropped.
    """
    offsets = _ball_offsets(radius_mm, voxel_mm)
    reach = np.abs(offsets).max(0)
    shape = tuple(int(sfft.next_fast_len(n + m, real=True)) for n, m in zip(mask.shape, reach))
    idx = tuple((offsets % np.asarray(shape)).T)  # where offset δ lands in a circular correlation

    def correlate(batch):  # Σ_x g(x) g(x+δ) for each batch member, at the offsets
        spec = sfft.rfftn(batch, s=shape, axes=(1, 2, 3))
        spec = spec.real**2 + spec.imag**2
        full = sfft.irfftn(spec, s=shape, axes=(1, 2, 3))
        return full[(slice(None), *idx)]

    pairs = correlate(mask[None].astype(np.float64))[0]
    pairs = np.rint(pairs)
    good = pairs >= MIN_PAIRS
    n = volumes.shape[-1]
    total = np.zeros(len(offsets))
    used = 0
    starts = range(0, n, VOLUMES_PER_FFT)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="ACF", unit="batch")
    for start in starts:
        batch = np.moveaxis(volumes[..., start:start + VOLUMES_PER_FFT], -1, 0).astype(np.float64)
        vals = batch[:, mask]
        mean = vals.mean(1)
        var = vals.var(1, ddof=1)
        ok = var > 0
        if not ok.any():
            continue
        g = np.where(mask[None], batch - mean[:, None, None, None], 0.0)[ok]
        cross = correlate(g)
        total += (cross / (var[ok, None] * np.maximum(pairs - 1.0, 1.0)[None])).sum(0)
        used += int(ok.sum())
    if used == 0:
        raise ValueError("every residual volume is constant inside the mask; no smoothness to estimate")
    radius = np.sqrt(((offsets * np.asarray(voxel_mm)) ** 2).sum(1))
    return radius[good], total[good] / used


def collapse_radii(radius: np.ndarray, acf: np.ndarray, rel: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Average ACF values whose radii lie within ``rel`` (1 %) of the first of their run, after
    sorting by radius, as 3dFWHMx does before the fit; the origin (ACF 1) comes first."""
    order = np.argsort(radius, kind="stable")
    radius, acf = radius[order], acf[order]
    out_r, out_a = [0.0], [1.0]
    i = 0
    while i < len(radius):
        j = i + 1
        while j < len(radius) and radius[j] <= radius[i] * (1.0 + rel):
            j += 1
        out_r.append(float(radius[i]))
        out_a.append(float(acf[i:j].mean()))
        i = j
    return np.asarray(out_r), np.asarray(out_a)


def fit_acf(radius: np.ndarray, acf: np.ndarray) -> tuple[float, float, float]:
    """Least-squares (a, b, c) of ``acf_model`` to a collapsed ACF, from 3dFWHMx's start
    (half-maximum radius) within its bounds: 0.006 ≤ a ≤ 0.994, b and c within ×0.05–×5.55 of
    their starts."""
    below = np.flatnonzero(acf <= 0.5)
    if below.size == 0:
        raise ValueError(f"the ACF stays above 0.5 out to {radius.max():.1f} mm: the residuals are "
                         "smoother than the estimation radius allows; check they are residuals")
    r_half, a_half = radius[below[0]], max(acf[below[0]], 1e-3)
    inv = 1.0 / np.log(a_half)
    b0 = np.sqrt(-0.5 * inv) * r_half
    c0 = -r_half * inv
    start = np.array([0.5, b0, c0])
    lower = np.array([0.006, 0.05 * b0, 0.05 * c0])
    upper = np.array([0.994, 5.55 * b0, 5.55 * c0])

    def residual(par):
        return acf_model(radius, *par) - acf

    fit = optimize.least_squares(residual, start, bounds=(lower, upper), method="trf",
                                 xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
    return tuple(float(v) for v in fit.x)


def estimate_smoothness(volumes: np.ndarray, mask: np.ndarray, voxel_mm, detrend: int | None = None,
                        progress: bool = False) -> Smoothness:
    """Classic FWHM and ACF fit of ``volumes`` (x, y, z[, n]) inside ``mask`` (see module doc).

    ``detrend``: polynomial order removed per voxel over the volumes first (None: nothing).
    """
    if volumes.ndim == 3:
        volumes = volumes[..., None]
    mask = np.asarray(mask, bool) & np.all(np.isfinite(volumes), axis=-1)
    if mask.sum() < 9:
        raise ValueError(f"only {int(mask.sum())} voxels in the mask with finite residuals; need at least 9")
    voxel_mm = np.asarray(voxel_mm, dtype=np.float64)
    if detrend is not None:
        volumes = np.where(mask[..., None], detrend_volumes(np.where(mask[..., None], volumes, 0), detrend), 0)
    per_volume = np.array([classic_fwhm(volumes[..., i], mask, voxel_mm) for i in range(volumes.shape[-1])])
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(per_volume)
    fwhm = np.exp(np.nanmean(np.where(np.isfinite(logs), logs, np.nan), axis=0))
    combined = float(np.exp(np.nanmean(np.log(fwhm)))) if np.isfinite(fwhm).any() else 0.0
    radius = max(2.999 * combined, 3.999 * float(np.prod(voxel_mm)) ** (1.0 / 3.0))
    r, a = empirical_acf(volumes, mask, voxel_mm, radius, progress=progress)
    r, a = collapse_radii(r, a)
    params = fit_acf(r, a)
    return Smoothness(acf=params, acf_fwhm_mm=acf_fwhm(*params),
                      fwhm_xyz_mm=tuple(float(v) for v in fwhm), radius_mm=float(radius),
                      n_volumes=int(volumes.shape[-1]), n_voxels=int(mask.sum()),
                      curve={"radius_mm": r, "empirical": a, "model": acf_model(r, *params)})
