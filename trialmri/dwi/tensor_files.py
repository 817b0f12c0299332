"""Tensor fit from files to files: the one path shared by ``trialmri tensor`` and the workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trialmri.dwi.gradients import read_fsl_gradients
from trialmri.dwi.tensor import METRICS, TensorFit, fit_wls
from trialmri.image_inputs import read_mask, read_series
from trialmri.io import save_nifti
from trialmri.tables import write_tsv


def load_dwi(dwi_path, bval_path, bvec_path):
    """``(image, data (X, Y, Z, N) float64, bvals, bvecs (N, 3))``; errors name the file."""
    image = read_series(dwi_path, "--dwi", min_volumes=2)
    bvals, bvecs = read_fsl_gradients(bval_path, bvec_path, n_volumes=image.shape[3])
    return image, image.get_fdata(dtype=np.float64), bvals, bvecs


def fit_tensor_files(dwi_path, bval_path, bvec_path, outputs: dict, mask_path=None, qc_path=None,
                     qc_labels: dict | None = None, progress: bool = False, mask_threshold=None) -> TensorFit:
    """Fit and write maps: ``outputs`` maps each of md, fa, ad, rd to a path (units mm²/s for b in s/mm²).

    The QC table (one row: ``qc_labels`` then the fit's counts and medians) goes to ``qc_path``.
    """
    unknown = set(outputs) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown tensor metric(s) {sorted(unknown)}; choose from {METRICS}")
    image, data, bvals, bvecs = load_dwi(dwi_path, bval_path, bvec_path)
    mask = None
    if mask_path is not None:
        mask = read_mask(mask_path, "--mask", image, "the DWI", dwi_path, threshold=mask_threshold)[0]
    fit = fit_wls(data, bvals, bvecs, mask, progress=progress)
    for name, path in outputs.items():
        units = "mm2/s" if name != "fa" else "unitless"
        save_nifti(path, getattr(fit, name), image.affine, description=f"trialmri WLS tensor {name} ({units})")
    if qc_path is not None:
        write_tsv(qc_path, pd.DataFrame([{**(qc_labels or {}), "dwi": str(Path(dwi_path).name),
                                          **fit.qc_record()}]))
    return fit
