"""The voxels a seed's LME fitted: the cluster steps' mask (rule lme_fit_mask)."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from trialmri.io import save_nifti

FITTED = 1  # the LME fit mask's code of a fitted voxel (trialmri.lme.lme_files: 0 outside the mask, 2-3 NaN)


def write_fit_mask(fitmask_path, out_path) -> int:
    """The voxels of the LME fit mask with code FITTED -> a uint8 mask (same grid); returns their
    number."""
    img = nib.load(fitmask_path)
    mask = np.asarray(img.dataobj) == FITTED
    save_nifti(out_path, mask, img.affine, dtype=np.uint8, description="LME fitted voxels")
    return int(mask.sum())
