"""trialmri.dwi.volume_fit: planted affine and rigid transforms recovered; never worse than the start."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from trialmri import transforms
from trialmri.dwi import volume_fit

SPACING = (2.0, 2.0, 2.5)


def _phantom(shape=(40, 44, 32), seed=0) -> np.ndarray:
    """A smooth head-like volume: random texture inside an ellipsoid (no symmetry to slide along)."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).astype(float)
    centre = (np.asarray(shape) - 1)[:, None, None, None] / 2
    r = np.sqrt((((grid - centre) / (0.4 * np.asarray(shape)[:, None, None, None])) ** 2).sum(0))
    texture = ndimage.gaussian_filter(rng.normal(size=shape), 3.0)
    texture /= texture.std()
    # smooth at the voxel scale, so linear interpolation errors do not move the optimum
    return ndimage.gaussian_filter(1000.0 * (r < 1) * (2 + texture), 1.5).astype(np.float32)


def _planted(kind: str) -> np.ndarray:
    """A voxel-index transform target -> moving of about 1 voxel and 2 degrees."""
    s = np.diag([*SPACING, 1.0])
    centre = np.array([19.5, 21.5, 15.5]) * SPACING
    mm = transforms.affine((0.02, -0.03, 0.025), (1.5, -1.0, 2.0), centre_mm=centre)
    if kind == "Affine":
        mm = mm @ transforms.affine(scale=(1.03, 0.98, 1.01), centre_mm=centre)
        mm[1, :3] += [0.02, 0.0, -0.015]  # a shear along the second axis (eddy-like)
    return np.linalg.inv(s) @ mm @ s


@pytest.mark.parametrize("kind", ["Rigid", "Affine"])
def test_planted_transform_recovered_within_a_tenth_of_a_voxel(kind):
    fixed = _phantom()
    planted = _planted(kind)
    # moving(T y) = fixed(y): fixed seen through the inverse
    moving = ndimage.affine_transform(fixed, np.linalg.inv(planted), order=3, mode="constant")
    mask = fixed > 500
    found = volume_fit.register(fixed, moving, SPACING, kind, mask=mask)
    points = np.argwhere(mask).T
    error = (found[:3, :3] - planted[:3, :3]) @ points + (found[:3, 3:] - planted[:3, 3:])
    assert np.abs(error).max() < 0.1, f"max point error {np.abs(error).max():.3f} voxels"
    if kind == "Rigid":  # a rigid fit is rigid in mm
        s = np.diag(SPACING)
        linear = s @ found[:3, :3] @ np.linalg.inv(s)
        assert np.allclose(linear @ linear.T, np.eye(3), atol=1e-9)


def test_never_worse_than_the_start_and_repeatable():
    rng = np.random.default_rng(1)
    fixed = _phantom()
    unrelated = rng.normal(size=fixed.shape).astype(np.float32)  # nothing to align to
    start = _planted("Rigid")
    found = volume_fit.register(fixed, unrelated, SPACING, "Affine", initial=start, mask=fixed > 500)
    again = volume_fit.register(fixed, unrelated, SPACING, "Affine", initial=start, mask=fixed > 500)
    assert found.tobytes() == again.tobytes()
    level = volume_fit._Level(fixed, unrelated, volume_fit.sample_points(fixed > 500), SPACING, 0.0,
                              np.zeros(3), False)
    s = np.diag([*SPACING, 1.0])
    assert level_cost(level, s @ found @ np.linalg.inv(s)) <= level_cost(level, s @ start @ np.linalg.inv(s))


def level_cost(level, matrix_mm) -> float:
    r, valid = level.residuals(matrix_mm)
    return float(np.mean(r[valid] ** 2))


def test_bad_arguments_are_named():
    fixed = _phantom()
    with pytest.raises(ValueError, match="kind"):
        volume_fit.register(fixed, fixed, SPACING, "SyN")
    with pytest.raises(ValueError, match="too few"):
        volume_fit.register(fixed, fixed, SPACING, "Rigid", mask=np.zeros(fixed.shape, bool))
