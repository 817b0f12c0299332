"""Denoising of one session's BOLD with ``nilearn.signal.clean`` (confound regression, band-pass,
detrending, censoring) after optional Gaussian smoothing with ``nilearn.image.smooth_img``.

Censored volumes are interpolated before filtering and removed after it, as nilearn does with a
sample mask, so the cleaned series has one row per kept volume.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np

from trialmri.fc.confounds import SessionConfounds
from trialmri.fc.strategy import DenoiseStrategy


def brain_mask(img: nib.Nifti1Image, mask_path=None) -> np.ndarray:
    """fMRIPrep's brain mask when given (must share the BOLD grid), else nilearn's EPI mask."""
    if mask_path is not None:
        mask_img = nib.load(mask_path)
        if mask_img.shape[:3] != img.shape[:3] or not np.allclose(mask_img.affine, img.affine, atol=1e-3):
            raise ValueError(f"{mask_path}: brain mask grid {mask_img.shape[:3]} differs from the BOLD grid "
                             f"{img.shape[:3]}; use the mask fMRIPrep wrote for this run and space")
        return np.asarray(mask_img.dataobj) > 0
    from nilearn.masking import compute_epi_mask

    return np.asarray(compute_epi_mask(img).dataobj) > 0


def repetition_time(img: nib.Nifti1Image, path="") -> float:
    """TR in seconds from the NIfTI header (ms headers converted); an error if absent."""
    zooms = img.header.get_zooms()
    tr = float(zooms[3]) if len(zooms) > 3 else 0.0
    units = img.header.get_xyzt_units()[1]
    tr = tr / 1000.0 if units == "msec" else tr
    if not tr > 0:
        raise ValueError(f"{path}: no repetition time in the NIfTI header (pixdim[4]); re-export the BOLD "
                         "with its TR")
    return tr


def denoise_session(img: nib.Nifti1Image, mask: np.ndarray, session: SessionConfounds,
                    strategy: DenoiseStrategy, tr_s: float) -> np.ndarray:
    """Cleaned in-mask time series, float32 (n_kept_volumes, n_mask_voxels), voxels in C order.

    Raises ValueError when the confounds table and the BOLD disagree in length.
    """
    from nilearn import signal
    from nilearn.image import smooth_img

    n_t = img.shape[3]
    if len(session.confounds) != n_t:
        raise ValueError(f"confounds table has {len(session.confounds)} rows but the BOLD has {n_t} volumes")
    if strategy.smoothing_fwhm_mm:
        img = smooth_img(img, strategy.smoothing_fwhm_mm)
    data = np.asarray(img.dataobj, dtype=np.float32)[mask].T  # (n_t, n_v)
    with warnings.catch_warnings():
        # nilearn 0.13 announces its 0.14 change of confound standardization (population -> sample
        # SD); the regression's fitted values, hence the cleaned series, do not depend on that scale
        warnings.filterwarnings("ignore", message=".*zscore_sample.*")
        warnings.filterwarnings("ignore", message=".*confounds will be standardized.*")
        return signal.clean(data, confounds=session.confounds.to_numpy(), sample_mask=session.sample_mask,
                            **strategy.clean_kwargs(tr_s)).astype(np.float32, copy=False)
