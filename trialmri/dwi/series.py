"""DWI series from files: the combined preprocessed series and its mean b0 and brain mask."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from trialmri.dwi.gradients import read_bvals, write_fsl_gradients
from trialmri.dwi.mask import brain_mask, mean_b0
from trialmri.dwi.tensor_files import load_dwi
from trialmri.grids import same_grid
from trialmri.io import save_nifti


def combine_series(series: list[tuple[str, str, str]], out_dwi, out_bval, out_bvec) -> int:
    """Concatenate DWI series (image, bval, bvec) of one session along volumes; returns volumes.

    The series must share one grid (same shape and affine): reverse-phase-encoded pairs do. The
    bvecs stay in FSL's voxel-frame convention, valid because the grid is shared.
    """
    images, data, bvals, bvecs = [], [], [], []
    for nii, bval, bvec in series:
        image, array, b, g = load_dwi(nii, bval, bvec)
        if images and not same_grid(image, images[0]):
            raise ValueError(f"{nii}: grid {image.shape[:3]} differs from {series[0][0]}; the series of one "
                             f"session must share a grid")
        images.append(image)
        data.append(array.astype(np.float32))
        bvals.append(b)
        bvecs.append(g)
    combined = np.concatenate(data, axis=-1)
    save_nifti(out_dwi, combined, images[0].affine, description="trialmri combined DWI series")
    write_fsl_gradients(out_bval, out_bvec, np.concatenate(bvals), np.concatenate(bvecs))
    return combined.shape[-1]


def write_reference(dwi_path, bval_path, out_b0, out_mask) -> int:
    """Mean b0 and brain mask of a DWI series; returns the mask's voxel count."""
    image = nib.load(dwi_path)
    bvals = read_bvals(bval_path)
    b0 = mean_b0(image.get_fdata(dtype=np.float32), bvals)
    mask = brain_mask(b0)
    save_nifti(out_b0, b0, image.affine, description="trialmri mean b0")
    save_nifti(out_mask, mask, image.affine, dtype=np.uint8, description="trialmri b0 brain mask")
    return int(mask.sum())
