"""Rigid and affine transforms in world mm (4 x 4 homogeneous matrices, RAS+).

Rotation parameters are radians about x, y, z, composed as R = Rz @ Ry @ Rx (the order FSL's
mcflirt ``.par`` files and fMRIPrep's ``rot_x, rot_y, rot_z`` confounds use).
"""

from __future__ import annotations

import numpy as np


def rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    """3 x 3 rotation matrix Rz @ Ry @ Rx for angles in radians."""
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rot_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rot_z @ rot_y @ rot_x


def affine(rotation_rad=(0.0, 0.0, 0.0), translation_mm=(0.0, 0.0, 0.0), scale=(1.0, 1.0, 1.0),
           centre_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
    """4 x 4 matrix that scales, then rotates about ``centre_mm``, then translates."""
    linear = rotation(*rotation_rad) @ np.diag(np.asarray(scale, float))
    centre = np.asarray(centre_mm, float)
    out = np.eye(4)
    out[:3, :3] = linear
    out[:3, 3] = centre - linear @ centre + np.asarray(translation_mm, float)
    return out


def rigid_from_params(params: np.ndarray, centre_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
    """4 x 4 rigid transform from ``[trans_x, trans_y, trans_z (mm), rot_x, rot_y, rot_z (rad)]``."""
    return affine(params[3:6], params[0:3], centre_mm=centre_mm)


def polar_rotation(linear: np.ndarray) -> np.ndarray:
    """The rotation part of a 3 x 3 linear map (polar decomposition), used to reorient tensors."""
    u, _, vt = np.linalg.svd(linear)
    rot = u @ vt
    if np.linalg.det(rot) < 0:
        u[:, -1] *= -1
        rot = u @ vt
    return rot


def apply(matrix: np.ndarray, points_mm: np.ndarray) -> np.ndarray:
    """``matrix`` applied to world points (3, ...)."""
    flat = points_mm.reshape(3, -1)
    return (matrix[:3, :3] @ flat + matrix[:3, 3:4]).reshape(points_mm.shape)


def rigid_params(matrix: np.ndarray, centre_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Inverse of :func:`rigid_from_params`: ``[tx, ty, tz (mm), rx, ry, rz (rad)]`` of a rigid 4 x 4."""
    rot = matrix[:3, :3]
    ry = -np.arcsin(np.clip(rot[2, 0], -1.0, 1.0))
    rx = np.arctan2(rot[2, 1], rot[2, 2])
    rz = np.arctan2(rot[1, 0], rot[0, 0])
    centre = np.asarray(centre_mm, float)
    trans = matrix[:3, :3] @ centre + matrix[:3, 3] - centre
    return np.array([*trans, rx, ry, rz])
