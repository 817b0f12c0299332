"""One DWI volume onto a target with ANTsPy (the motion correction's cross-contrast step: the mean DW
volume onto the b0s by mutual information), as 4 x 4 matrices in voxel-index coordinates.

Images are handed to ANTs as arrays with the voxel spacing and an identity direction, so ANTs'
physical frame is ``index x spacing`` (mm, no flips) and its transforms are converted here to
index coordinates: ``T_vox`` maps a voxel index of the *target* to the voxel index of the *moving*
image where that tissue is (the direction ``scipy.ndimage.affine_transform`` samples in).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from trialmri.dwi.registration import _ants

# 2 levels, a quarter of the voxels sampled (deterministic under ants.config.set_ants_deterministic)
ITERATIONS = (30, 10)
SHRINK = (2, 1)
SMOOTH_VOX = (1, 0)
SAMPLING = 0.25


def _image(ants, array, spacing):
    return ants.from_numpy(np.ascontiguousarray(array, dtype=np.float32), spacing=tuple(float(s) for s in spacing))


def _to_ants(matrix_vox: np.ndarray, spacing, path: Path, ants) -> str:
    scale = np.diag([*spacing, 1.0])
    phys = scale @ matrix_vox @ np.linalg.inv(scale)
    tx = ants.create_ants_transform(transform_type="AffineTransform", dimension=3, matrix=phys[:3, :3],
                                    offset=phys[:3, 3])
    ants.write_transform(tx, str(path))
    return str(path)


def _from_ants(path: str, spacing, ants) -> np.ndarray:
    tx = ants.read_transform(path)
    params = np.asarray(tx.parameters, float)
    centre = np.asarray(tx.fixed_parameters, float)
    linear = params[:9].reshape(3, 3)
    phys = np.eye(4)
    phys[:3, :3] = linear
    phys[:3, 3] = params[9:12] + centre - linear @ centre
    scale = np.diag([*spacing, 1.0])
    return np.linalg.inv(scale) @ phys @ scale


def register(fixed: np.ndarray, moving: np.ndarray, spacing, kind: str = "Affine",
             initial: np.ndarray | None = None, mask: np.ndarray | None = None,
             metric: str = "meansquares") -> np.ndarray:
    """``T_vox`` (4 x 4) taking ``moving`` onto ``fixed``; ``kind`` is "Rigid" or "Affine".

    ``initial`` (same convention) starts the search; ``mask`` (on the fixed grid) limits the metric;
    ``metric`` is ANTs' ("meansquares" for one contrast, "mattes" mutual information across contrasts).
    """
    ants = _ants()
    with tempfile.TemporaryDirectory(prefix="trialmri-reg-") as tmp:
        kwargs = {}
        if initial is not None:
            kwargs["initial_transform"] = [_to_ants(initial, spacing, Path(tmp) / "init.mat", ants)]
        if mask is not None:
            kwargs["mask"] = _image(ants, mask.astype(np.float32), spacing)
        result = ants.registration(_image(ants, fixed, spacing), _image(ants, moving, spacing), kind,
                                   aff_metric=metric, aff_iterations=ITERATIONS, aff_shrink_factors=SHRINK,
                                   aff_smoothing_sigmas=SMOOTH_VOX, aff_random_sampling_rate=SAMPLING,
                                   outprefix=str(Path(tmp) / "reg_"), **kwargs)
        return _from_ants(result["fwdtransforms"][0], spacing, ants)
