"""Voxel grids and resampling between them.

A :class:`Grid` maps voxel indices (i, j, k) to world millimetres with a 4 x 4 affine, the NIfTI
convention (world axes are RAS+: x to the Right, y Anterior, z Superior). Sampling functions take
world coordinates in mm, so the same code serves MNI space and a subject's scanner space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A 3-D voxel grid: ``shape`` (i, j, k) and ``affine`` (voxel index -> world mm)."""

    shape: tuple[int, int, int]
    affine: np.ndarray

    @classmethod
    def centred(cls, shape, voxel_mm, centre_mm=(0.0, 0.0, 0.0), flip_x=False) -> "Grid":
        """A grid of ``shape`` voxels of ``voxel_mm`` whose centre lies at ``centre_mm``.

        ``flip_x=True`` stores the first axis right-to-left (LAS, negative determinant), the
        orientation dcm2niix writes and FSL's bvec convention assumes.
        """
        voxel = np.broadcast_to(np.asarray(voxel_mm, float), (3,))
        diag = voxel * np.array([-1.0 if flip_x else 1.0, 1.0, 1.0])
        affine = np.eye(4)
        affine[:3, :3] = np.diag(diag)
        half = (np.asarray(shape) - 1) / 2.0
        affine[:3, 3] = np.asarray(centre_mm, float) - diag * half
        return cls(tuple(int(s) for s in shape), affine)

    @classmethod
    def covering(cls, lo_mm, hi_mm, voxel_mm) -> "Grid":
        """The RAS+ grid of ``voxel_mm`` voxels that covers the world box [lo_mm, hi_mm]."""
        voxel = np.broadcast_to(np.asarray(voxel_mm, float), (3,))
        lo, hi = np.asarray(lo_mm, float), np.asarray(hi_mm, float)
        shape = np.floor((hi - lo) / voxel).astype(int) + 1
        affine = np.eye(4)
        affine[:3, :3] = np.diag(voxel)
        affine[:3, 3] = lo
        return cls(tuple(int(s) for s in shape), affine)

    @property
    def voxel_mm(self) -> np.ndarray:
        return np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0))

    @property
    def axes(self) -> np.ndarray:
        """Unit world direction of each voxel axis, as columns (3 x 3)."""
        return self.affine[:3, :3] / self.voxel_mm

    def world(self, dtype=np.float64) -> np.ndarray:
        """World mm coordinates of every voxel centre, shape (3, *shape)."""
        ijk = np.indices(self.shape, dtype=dtype).reshape(3, -1)
        xyz = self.affine[:3, :3].astype(dtype) @ ijk + self.affine[:3, 3:4].astype(dtype)
        return xyz.reshape((3, *self.shape))


def same_grid(a, b, atol_mm: float = 1e-3) -> bool:
    """Whether two images or grids (anything with ``shape`` and ``affine``) share one voxel grid."""
    return tuple(a.shape[:3]) == tuple(b.shape[:3]) and np.allclose(a.affine, b.affine, atol=atol_mm)


def world_to_voxel(affine: np.ndarray, points_mm: np.ndarray) -> np.ndarray:
    """Voxel coordinates (3, ...) of world points ``points_mm`` (3, ...) under ``affine``."""
    inv = np.linalg.inv(affine)
    flat = points_mm.reshape(3, -1)
    return (inv[:3, :3] @ flat + inv[:3, 3:4]).reshape(points_mm.shape)


def sample(volume: np.ndarray, affine: np.ndarray, points_mm: np.ndarray, order: int = 1,
           fill: float = 0.0) -> np.ndarray:
    """Values of ``volume`` (on the grid of ``affine``) at world points ``points_mm`` (3, ...).

    Trilinear for ``order=1``, nearest neighbour for ``order=0``; points outside get ``fill``.
    A 4-D ``volume`` is sampled channel by channel along its last axis.
    """
    vox = world_to_voxel(affine, points_mm)
    if volume.ndim == 3:
        return sample_at_voxels(volume, vox, order, fill)
    return np.stack([sample_at_voxels(volume[..., c], vox, order, fill) for c in range(volume.shape[-1])], axis=-1)


def sample_at_voxels(volume: np.ndarray, vox: np.ndarray, order: int = 1, fill: float = 0.0) -> np.ndarray:
    """Values of a 3-D ``volume`` at voxel coordinates ``vox`` (3, ...), as ``sample``; for many
    volumes on one grid at the same points, convert the points once with ``world_to_voxel``."""
    from scipy import ndimage  # lazy: scipy.ndimage costs ~0.2 s to import, and most commands never resample

    out = ndimage.map_coordinates(volume, vox.reshape(3, -1), order=order, cval=fill, prefilter=False)
    return out.reshape(vox.shape[1:])


def resample(volume: np.ndarray, affine: np.ndarray, grid: Grid, order: int = 1,
             antialias: bool = True) -> np.ndarray:
    """``volume`` resampled onto ``grid``; smoothed first when ``grid`` is coarser."""
    if antialias:
        src = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
        ratio = grid.voxel_mm.max() / src
        if np.any(ratio > 1.0):
            sigma = np.where(ratio > 1.0, np.sqrt(np.maximum(ratio**2 - 1.0, 0.0)) / 2.355, 0.0)
            from scipy import ndimage

            volume = ndimage.gaussian_filter(volume.astype(np.float32), sigma)
    return sample(volume, affine, grid.world(np.float32), order=order)
