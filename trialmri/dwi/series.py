"""The preprocessed DWI series: its mean b0 and brain mask."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from trialmri.dwi.gradients import read_bvals
from trialmri.dwi.mask import brain_mask, mean_b0
from trialmri.io import save_nifti


def write_reference(dwi_path, bval_path, out_b0, out_mask) -> int:
    """Mean b0 and brain mask of a DWI series; returns the mask's voxel count."""
    image = nib.load(dwi_path)
    bvals = read_bvals(bval_path)
    b0 = mean_b0(image.get_fdata(dtype=np.float32), bvals)
    mask = brain_mask(b0)
    save_nifti(out_b0, b0, image.affine, description="trialmri mean b0")
    save_nifti(out_mask, mask, image.affine, dtype=np.uint8, description="trialmri b0 brain mask")
    return int(mask.sum())
