"""Synthetic diffusion MRI: a single-tensor brain in MNI space, seen through a scanner.

Truth lives on an MNI grid as S0 and a diffusion tensor per voxel (mm²/s, world frame). A series
is the signal S = S0 exp(-b gᵀDg) sampled on the scanner's voxel grid (LAS, FSL's bvec frame) after
these steps, each switchable:

- the subject's anatomy (``mni_to_head``, affine) and head pose per session (``head_to_scanner``);
- rigid head motion per volume (``motion``: trans mm, rot rad about the grid centre; the tissue's
  tensor turns with the head, the gradient stays in the scanner frame);
- susceptibility (``field_hz``, smooth, fixed in the scanner) plus eddy-current fields per volume,
  linear in space: displacement along the phase-encoding axis j of
  ``d = sign x (field_hz + eddy_hz) x TotalReadoutTime`` voxels (sign +1 for "j", -1 for "j-"),
  with the Jacobian intensity change 1 / (1 + ∂d/∂j);
- Rician noise with sigma = mean white-matter S0 / SNR.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trialmri import transforms
from trialmri.grids import Grid, sample, sample_at_voxels, world_to_voxel

MD_TISSUE = {"gm": 0.80e-3, "wm": 0.70e-3, "csf": 3.0e-3}  # mm²/s
S0_TISSUE = {"gm": 850.0, "wm": 650.0, "csf": 1500.0}
FA_WM = 0.75
MD_SCALP, S0_SCALP = 1.0e-3, 300.0
# Susceptibility field: Gaussian blobs (MNI mm centre, amplitude Hz, sigma mm).
FIELD_BLOBS = [((0, 35, -25), 90.0, 14.0), ((-40, 5, -35), 60.0, 12.0), ((40, 5, -35), 60.0, 12.0),
               ((0, -20, 40), -15.0, 40.0)]
TENSOR_ORDER = ("xx", "xy", "xz", "yy", "yz", "zz")


def gradient_directions(n: int) -> np.ndarray:
    """``n`` unit vectors spread over a hemisphere (golden spiral), shape (n, 3)."""
    k = np.arange(n) + 0.5
    z = 1.0 - k / n  # (0, 1]: upper hemisphere
    phi = np.pi * (3.0 - np.sqrt(5.0)) * k
    r = np.sqrt(1.0 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def gradient_table(n_b0: int, n_dirs: int, bval: float) -> tuple[np.ndarray, np.ndarray]:
    """b-values (n,) and unit directions (n, 3) in the scanner frame, b0s spread through."""
    n = n_b0 + n_dirs
    b0_at = set(np.round(np.linspace(0, n - 1, n_b0)).astype(int)) if n_b0 else set()
    dirs = iter(gradient_directions(n_dirs))
    bvals = np.array([0.0 if i in b0_at else bval for i in range(n)])
    bvecs = np.array([[0.0, 0.0, 0.0] if i in b0_at else next(dirs) for i in range(n)])
    return bvals, bvecs


def tensor_from_md_fa(md: np.ndarray, fa: np.ndarray, e1: np.ndarray) -> np.ndarray:
    """Axially symmetric tensors (..., 6 in TENSOR_ORDER) with given MD, FA and main axis e1 (3, ...)."""
    fa = np.clip(fa, 0.0, 0.95)
    k = fa * np.sqrt(3.0 / (9.0 - 6.0 * fa**2))  # λ1 = MD(1+2k), λ2 = λ3 = MD(1-k)
    lam_par, lam_perp = md * (1 + 2 * k), md * (1 - k)
    diff = lam_par - lam_perp
    comps = []
    for a, b in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
        comps.append(diff * e1[a] * e1[b] + (lam_perp if a == b else 0.0))
    return np.stack(comps, axis=-1).astype(np.float32)


def md_of(tensor: np.ndarray) -> np.ndarray:
    return (tensor[..., 0] + tensor[..., 3] + tensor[..., 5]) / 3.0


def mni_truth(tissue: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """S0, tensor (world frame, mm²/s) and MD on the MNI truth grid from tissue fractions."""
    total = tissue["gm"] + tissue["wm"] + tissue["csf"]
    brain = (tissue["brain"] > 0.5) & (total > 0.05)
    frac = {t: np.where(brain, tissue[t] / np.maximum(total, 1e-6), 0.0) for t in MD_TISSUE}
    head = tissue["t1"] > 0.08
    md = np.where(brain, sum(frac[t] * MD_TISSUE[t] for t in MD_TISSUE), np.where(head, MD_SCALP, 0.0))
    s0 = np.where(brain, sum(frac[t] * S0_TISSUE[t] for t in S0_TISSUE),
                  np.where(head, S0_SCALP * tissue["t1"] / max(tissue["t1"].max(), 1e-6), 0.0))
    fa = np.where(brain, FA_WM * frac["wm"] ** 1.5, 0.05)
    # Main axis tangent to the smoothed white-matter surface: ∇wm x z, falling back to x.
    grad = np.stack(np.gradient(ndimage.gaussian_filter(tissue["wm"], 2.0)))
    e1 = np.cross(grad, np.array([0.0, 0.0, 1.0])[:, None, None, None], axis=0)
    norm = np.sqrt((e1**2).sum(0))
    e1 = np.where(norm > 1e-3, e1 / np.maximum(norm, 1e-12), np.array([1.0, 0, 0])[:, None, None, None])
    tensor = tensor_from_md_fa(md, fa, e1)
    return {"s0": s0.astype(np.float32), "tensor": tensor, "md": md_of(tensor), "brain": brain}


def field_hz(points_scanner: np.ndarray, mni_to_scanner: np.ndarray) -> np.ndarray:
    """Susceptibility off-resonance (Hz) at scanner points (3, ...); blobs placed via the pose."""
    return field_along_j(points_scanner, np.zeros(3), mni_to_scanner)(np.zeros(points_scanner.shape[1:]))


def field_along_j(points_scanner: np.ndarray, jstep: np.ndarray, mni_to_scanner: np.ndarray):
    """``field_hz`` at ``points_scanner + t x jstep`` as a function of ``t`` (voxel steps along j,
    an array shaped like the points), for the fixed-point search of the distorted positions.

    |p + t s - c|² = |p - c|² + t (2 s·(p - c) + t |s|²): the per-blob terms are formed once, so
    each evaluation is one exponential per blob instead of the distances in 3-D.
    """
    step2 = float(jstep @ jstep)
    terms = []
    for centre, amp, sigma in FIELD_BLOBS:
        c = transforms.apply(mni_to_scanner, np.asarray(centre, float).reshape(3, 1)).ravel()
        rel = points_scanner - c.reshape(3, *([1] * (points_scanner.ndim - 1)))
        terms.append((amp, 2 * sigma**2, (rel**2).sum(axis=0), 2 * np.tensordot(jstep, rel, axes=1)))

    def at(t: np.ndarray) -> np.ndarray:
        out = np.zeros(np.shape(t), np.float64)
        for amp, two_sigma2, dist2, slope in terms:
            out += amp * np.exp(-(dist2 + t * (slope + t * step2)) / two_sigma2)
        return out

    return at


def eddy_hz(points_scanner: np.ndarray, centre_mm: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Eddy-current field (Hz) linear in space: coeffs = [offset Hz, dHz/dx, dHz/dy, dHz/dz (per mm)]."""
    rel = points_scanner - centre_mm.reshape(3, *([1] * (points_scanner.ndim - 1)))
    return coeffs[0] + sum(coeffs[1 + a] * rel[a] for a in range(3))


def eddy_coefficients(bvals: np.ndarray, bvecs: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Per-volume eddy coefficients (n, 4) from a 4 x 3 gain matrix (per unit gradient at b=1000)."""
    return (bvals[:, None] / 1000.0) * (bvecs @ gains.T)


def simulate_series(truth: dict, truth_affine: np.ndarray, grid: Grid, bvals: np.ndarray,
                    bvecs: np.ndarray, mni_to_scanner: np.ndarray, motion: np.ndarray,
                    eddy: np.ndarray, pe_sign: int, readout_s: float, use_field: bool,
                    noise_sigma: float, rng: np.random.Generator) -> np.ndarray:
    """One DWI series (x, y, z, volumes) on ``grid``.

    ``mni_to_scanner`` maps MNI mm to the scanner at rest; ``motion`` (n, 6) moves the head per
    volume about the grid centre; ``eddy`` (n, 4) are eddy coefficients per volume; ``pe_sign`` is
    +1 for "j" and -1 for "j-". The phase-encoding axis is the grid's second voxel axis.
    """
    ijk = np.indices(grid.shape, dtype=np.float64)
    centre = transforms.apply(grid.affine, (np.asarray(grid.shape, float)[:, None] - 1) / 2).ravel()
    world_rest = transforms.apply(grid.affine, ijk)
    jstep = grid.affine[:3, 1]  # world mm per voxel along j
    field_at = field_along_j(world_rest, jstep, mni_to_scanner) if use_field else None
    static_hz = field_at(np.zeros(grid.shape)) if use_field else 0.0
    scanner_to_mni = np.linalg.inv(mni_to_scanner)
    out = np.empty((*grid.shape, len(bvals)), np.float32)
    channels = np.ascontiguousarray(np.moveaxis(truth["tensor"], -1, 0))  # contiguous per component
    for v in range(len(bvals)):
        eddy_rest = eddy_hz(world_rest, centre, eddy[v])
        eddy_per_step = float(eddy[v][1:] @ jstep)  # the eddy field is linear: Hz per voxel along j

        def displacement(j_coord):
            t = j_coord - ijk[1]
            hz = (field_at(t) if use_field else 0.0) + eddy_rest + t * eddy_per_step
            return pe_sign * hz * readout_s

        if use_field or np.any(eddy[v] != 0):
            # Undistorted j_u of each acquired voxel: j_d = j_u + d(j_u), by fixed-point iteration.
            j_u = ijk[1] - pe_sign * (static_hz + eddy_rest) * readout_s
            for _ in range(8):  # contraction |∂d/∂j| < 0.5: error < 0.5**8 of the first guess
                j_u = ijk[1] - displacement(j_u)
            jacobian = 1.0 + (displacement(j_u + 0.5) - displacement(j_u - 0.5))
        else:
            j_u, jacobian = ijk[1], 1.0
        pts = world_rest + (j_u - ijk[1])[None] * jstep.reshape(3, 1, 1, 1)
        moved = transforms.rigid_from_params(motion[v], centre)
        to_mni = scanner_to_mni @ np.linalg.inv(moved)
        mni = transforms.apply(to_mni, pts).astype(np.float32)
        vox = world_to_voxel(truth_affine, mni)
        s0 = sample_at_voxels(truth["s0"], vox)
        if bvals[v] > 0:
            g = transforms.polar_rotation(np.linalg.inv(to_mni)[:3, :3]).T @ bvecs[v]
            gg = np.array([g[0] * g[0], 2 * g[0] * g[1], 2 * g[0] * g[2], g[1] * g[1],
                           2 * g[1] * g[2], g[2] * g[2]], np.float32)
            adc = sum(gg[c] * sample_at_voxels(channels[c], vox) for c in range(6))
            signal = s0 * np.exp(-bvals[v] * adc)
        else:
            signal = s0
        signal = signal / np.maximum(jacobian, 0.05)
        if noise_sigma > 0:
            signal = np.hypot(signal + rng.normal(0, noise_sigma, signal.shape),
                              rng.normal(0, noise_sigma, signal.shape))
        out[..., v] = signal
    return out


def simulate_t1w(t1_1mm: np.ndarray, affine_1mm: np.ndarray, grid: Grid, mni_to_scanner: np.ndarray,
                 noise_sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A T1-weighted image on ``grid`` of the template T1 seen through ``mni_to_scanner``."""
    mni = transforms.apply(np.linalg.inv(mni_to_scanner), grid.world(np.float64)).astype(np.float32)
    image = 1000.0 * sample(t1_1mm, affine_1mm, mni)
    if noise_sigma > 0:
        image = np.hypot(image + rng.normal(0, noise_sigma, image.shape), rng.normal(0, noise_sigma, image.shape))
    return image.astype(np.float32)
