"""One DWI volume onto a target of the same contrast: rigid or affine, Gauss-Newton on the mean squares.

Conventions as in :mod:`trialmri.dwi.motion_eddy`: a transform is a 4 x 4 matrix ``T`` in voxel-index
coordinates mapping a voxel of the *target* to the point of the *moving* volume where that tissue is
(the direction ``scipy.ndimage`` samples in). The cost is the mean of (moving(T p) - target(p))^2
over sample points ``p`` (voxel indices inside the registration mask), moving sampled trilinearly,
the same cost ANTs' "meansquares" metric minimises.

Each step is inverse compositional (Baker & Matthews 2004): a warp of the target, in mm along the
index axes about the grid centre ``c``, x -> x + L (x - c) + t, with ``L`` free (affine, 12
parameters) or a rotation (rigid, 6), is solved by Levenberg-Marquardt from the target's gradient
(fixed per level, so the normal matrix is computed once), and T becomes T o W^-1. A step is kept
only if it lowers the cost, so no level ends worse than it started (the caller,
:func:`trialmri.dwi.motion_eddy.register_volumes`, also keeps a volume's start when the fit does not
lower the final cost). Two levels (``LEVELS``), as the ANTs settings this replaces: both volumes
smoothed (Gaussian, 1 voxel), then unsmoothed, each sampled on every 2nd mask voxel along each axis
(an eighth of the mask; ANTs sampled a random quarter). No threads, no random sampling: the same
inputs give the same bytes.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# (Gaussian sigma in voxels, stride of the sample points, maximum iterations), coarse to fine
LEVELS = ((1.0, 2, 30), (0.0, 2, 10))
CONVERGED_MM = 1e-3  # stop a level when no sample point moves more than this (mm) in a step
DAMPING = 1e-3  # Levenberg-Marquardt: starting λ, relative to the normal matrix's diagonal


def _skew(w: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])


def _rotation(w: np.ndarray) -> np.ndarray:
    """Exact rotation for the rotation vector ``w`` (radians), Rodrigues' formula."""
    angle = float(np.linalg.norm(w))
    if angle < 1e-12:
        return np.eye(3)
    k = _skew(w / angle)
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def sample_points(inside: np.ndarray, stride: int = 2) -> np.ndarray:
    """Voxel indices (n, 3) of ``inside`` on a grid of every ``stride``-th voxel along each axis."""
    return np.argwhere(inside[::stride, ::stride, ::stride]) * stride


class _Level:
    """One resolution level: the smoothed volumes and, at the sample points (mm), the target's
    values and its steepest-descent images (inverse compositional: they do not change with T)."""

    def __init__(self, fixed, moving, points_vox, spacing, sigma, centre_mm, rigid):
        if sigma > 0:
            fixed = ndimage.gaussian_filter(fixed, sigma, mode="nearest")
            moving = ndimage.gaussian_filter(moving, sigma, mode="nearest")
        self.moving = np.ascontiguousarray(moving, dtype=np.float64)
        self.spacing = np.asarray(spacing, float)
        self.upper = np.asarray(moving.shape, float) - 1.0
        at = tuple(points_vox.T)
        fixed = np.asarray(fixed, dtype=np.float64)
        self.target = fixed[at]
        self.points_mm = points_vox * self.spacing  # (n, 3)
        g = np.stack([d[at] / s for d, s in zip(np.gradient(fixed), self.spacing)], axis=1)  # 1/mm
        q = self.points_mm - centre_mm
        if rigid:  # ∂/∂w of a rotation w about the centre: q × g; of a translation: g
            self.descent = np.hstack([np.cross(q, g), g])
        else:
            self.descent = np.hstack([(g[:, :, None] * q[:, None, :]).reshape(len(q), 9), g])
        self.normal = self.descent.T @ self.descent

    def residuals(self, matrix_mm: np.ndarray):
        """(moving(T p) - target(p), whether T p is inside the moving grid) for the mm transform T."""
        coords = (self.points_mm @ matrix_mm[:3, :3].T + matrix_mm[:3, 3]) / self.spacing
        valid = np.all((coords >= 0) & (coords <= self.upper), axis=1)
        values = ndimage.map_coordinates(self.moving, coords.T, order=1, mode="constant", cval=0.0)
        return values - self.target, valid


def _warp(delta: np.ndarray, centre_mm: np.ndarray, rigid: bool) -> np.ndarray:
    """The mm transform x -> x + L (x - c) + t of a solved step (L a rotation's when rigid)."""
    linear = _rotation(delta[:3]) if rigid else np.eye(3) + delta[:9].reshape(3, 3)
    out = np.eye(4)
    out[:3, :3] = linear
    out[:3, 3] = centre_mm - linear @ centre_mm + delta[-3:]
    return out


def _cost(r: np.ndarray, valid: np.ndarray) -> float:
    return float(np.mean(r[valid] ** 2)) if valid.any() else np.inf


def _fit_level(level: _Level, matrix_mm: np.ndarray, centre_mm, rigid: bool, iterations: int) -> np.ndarray:
    """Inverse-compositional Levenberg-Marquardt: solve for the target-side warp W that best explains
    the residual, then T <- T o W^-1; a step is taken only if it lowers the cost."""
    lam = DAMPING
    r, valid = level.residuals(matrix_mm)
    cost = _cost(r, valid)
    extent = np.abs(level.points_mm - centre_mm).max(axis=0)  # how far a linear term moves a point
    for _ in range(iterations):
        descent = level.descent[valid]
        normal = level.normal if valid.all() else descent.T @ descent
        rhs = descent.T @ r[valid]
        while True:
            delta = np.linalg.solve(normal + lam * np.diag(np.diag(normal)), rhs)
            trial = matrix_mm @ np.linalg.inv(_warp(delta, centre_mm, rigid))
            r_t, valid_t = level.residuals(trial)
            cost_t = _cost(r_t, valid_t)
            if cost_t < cost:
                break
            lam *= 10.0
            if lam > 1e6:
                return matrix_mm  # no step lowers the cost: converged here
        matrix_mm, r, valid, cost = trial, r_t, valid_t, cost_t
        lam = max(lam / 10.0, 1e-9)
        step = _warp(delta, centre_mm, rigid)
        moved = np.abs(step[:3, :3] - np.eye(3)) @ extent + np.abs(delta[-3:])  # bound on a point's move, mm
        if moved.max() < CONVERGED_MM:
            break
    return matrix_mm


def register(fixed: np.ndarray, moving: np.ndarray, spacing, kind: str = "Affine",
             initial: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
    """``T_vox`` (4 x 4) taking ``moving`` onto ``fixed`` (same grid, same contrast).

    ``kind`` is "Rigid" or "Affine"; ``initial`` (same convention) starts the search; ``mask`` (on
    the fixed grid) chooses the sample points (all voxels when None).
    """
    if kind not in ("Rigid", "Affine"):
        raise ValueError(f"kind must be 'Rigid' or 'Affine', not {kind!r}")
    rigid = kind == "Rigid"
    spacing = np.asarray(spacing, float)
    scale = np.diag([*spacing, 1.0])
    inside = np.ones(fixed.shape, bool) if mask is None else mask > 0
    matrix_mm = scale @ (np.eye(4) if initial is None else initial) @ np.linalg.inv(scale)
    centre_mm = (np.asarray(fixed.shape, float) - 1) / 2 * spacing
    for sigma, stride, iterations in LEVELS:
        points = sample_points(inside, stride)
        if len(points) < 12:
            raise ValueError(f"{len(points)} sample points in the registration mask: too few to fit a transform")
        level = _Level(fixed, moving, points, spacing, sigma, centre_mm, rigid)
        matrix_mm = _fit_level(level, matrix_mm, centre_mm, rigid, iterations)
    return np.linalg.inv(scale) @ matrix_mm @ scale
