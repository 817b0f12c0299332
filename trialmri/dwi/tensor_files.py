"""Tensor fit from files to files: the one path shared by ``trialmri tensor`` and the workflow."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.dwi.gradients import read_fsl_gradients
from trialmri.dwi.tensor import METRICS, TensorFit, fit_wls
from trialmri.grids import same_grid
from trialmri.io import save_nifti, write_tsv


def load_dwi(dwi_path, bval_path, bvec_path):
    """``(image, data (X, Y, Z, N) float64, bvals, bvecs (N, 3))``; errors name the file."""
    image = nib.load(dwi_path)
    if image.ndim != 4:
        raise ValueError(f"{dwi_path}: a DWI series must be 4-D, this image is {image.ndim}-D")
    bvals, bvecs = read_fsl_gradients(bval_path, bvec_path, n_volumes=image.shape[3])
    return image, image.get_fdata(dtype=np.float64), bvals, bvecs


def load_mask(mask_path, dwi_image) -> np.ndarray:
    """A boolean mask that must sit on the DWI grid (same shape and affine)."""
    image = nib.load(mask_path)
    if not same_grid(image, dwi_image):
        raise ValueError(f"{mask_path}: mask grid {image.shape[:3]} does not match the DWI grid "
                         f"{dwi_image.shape[:3]}; resample the mask to the DWI first")
    return np.asarray(image.dataobj) > 0


def fit_tensor_files(dwi_path, bval_path, bvec_path, outputs: dict, mask_path=None, qc_path=None,
                     qc_labels: dict | None = None, progress: bool = False) -> TensorFit:
    """Fit and write maps: ``outputs`` maps each of md, fa, ad, rd to a path (units mm²/s for b in s/mm²).

    The QC table (one row: ``qc_labels`` then the fit's counts and medians) goes to ``qc_path``.
    """
    unknown = set(outputs) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown tensor metric(s) {sorted(unknown)}; choose from {METRICS}")
    image, data, bvals, bvecs = load_dwi(dwi_path, bval_path, bvec_path)
    mask = None if mask_path is None else load_mask(mask_path, image)
    fit = fit_wls(data, bvals, bvecs, mask, progress=progress)
    for name, path in outputs.items():
        units = "mm2/s" if name != "fa" else "unitless"
        save_nifti(path, getattr(fit, name), image.affine, description=f"trialmri WLS tensor {name} ({units})")
    if qc_path is not None:
        write_tsv(qc_path, pd.DataFrame([{**(qc_labels or {}), "dwi": str(Path(dwi_path).name),
                                          **fit.qc_record()}]))
    return fit
