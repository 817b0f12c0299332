"""Mean Fisher z of seed maps inside ROIs (a control ROI such as V1, or the clusters of a group
result): one value per map and ROI, the mean over the ROI's voxels inside a mask."""

from __future__ import annotations

import nibabel as nib
import numpy as np


def load_labels(path, reference_affine=None, reference_shape=None) -> tuple[np.ndarray, np.ndarray]:
    """An integer label image and its affine; it must be on the reference grid when one is given."""
    img = nib.load(path)
    data = np.asarray(img.dataobj).reshape(img.shape[:3])
    if reference_shape is not None and (tuple(img.shape[:3]) != tuple(reference_shape)
                                        or not np.allclose(img.affine, reference_affine, atol=1e-3)):
        raise ValueError(f"{path} is not on the grid of the seed maps {tuple(reference_shape)}; ROIs and "
                         "maps must share the template grid")
    return np.rint(data).astype(np.int32), img.affine


def roi_means(map_paths, rois: dict[str, np.ndarray]) -> np.ndarray:
    """(maps, ROIs) mean of each map over each boolean ROI (same grid; checked, errors name the map).
    Non-finite voxels are left out of a mean; an ROI with no finite voxel gives NaN."""
    names = list(rois)
    masks = np.stack([rois[n].ravel() for n in names]) if names else np.zeros((0, 0), bool)
    out = np.full((len(map_paths), len(names)), np.nan)
    shape = next(iter(rois.values())).shape if names else None
    for i, path in enumerate(map_paths):
        img = nib.load(path)
        if shape is not None and tuple(img.shape[:3]) != tuple(shape):
            raise ValueError(f"{path} has shape {img.shape[:3]}, the ROIs {shape}: maps and ROIs must share a grid")
        values = np.asarray(img.dataobj, dtype=np.float64).ravel()
        finite = np.isfinite(values)
        counts = (masks & finite).sum(axis=1)
        sums = (masks * np.where(finite, values, 0.0)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(counts > 0, sums / counts, np.nan)
    return out
