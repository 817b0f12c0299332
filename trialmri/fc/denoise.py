"""Denoising of one session's BOLD with ``nilearn.signal.clean`` (confound regression, band-pass,
detrending, censoring) after optional Gaussian smoothing with ``nilearn.image.smooth_img``; clean
is linear, so it is applied as one matrix to all voxels at once (:func:`cleaning_operator`).

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


def cleaning_operator(session: SessionConfounds, strategy: DenoiseStrategy, tr_s: float) -> np.ndarray:
    """The matrix L (n_kept, n_volumes) with ``nilearn.signal.clean(X) == L @ X`` for every X.

    With ``standardize=None`` (no scaling) each step of ``signal.clean`` is linear in the signal and the same
    for every voxel: detrending, interpolation of censored volumes (cubic spline through the kept
    ones), the Butterworth filter (filtfilt with odd padding), censoring and the projection onto the
    confounds' orthogonal complement. So clean is run once on the n unit impulses (the columns of
    the identity), which gives L; the whole brain is then one product instead of per-voxel
    filtering and splines (tests/accuracy/test_fc_planted.py checks L @ X against clean(X) voxel by voxel).
    """
    from nilearn import signal

    n_t = len(session.confounds)
    with warnings.catch_warnings():
        # nilearn 0.13 announces its 0.14 change of confound standardization (population -> sample
        # SD); the regression's fitted values, hence the cleaned series, do not depend on that scale
        warnings.filterwarnings("ignore", message=".*zscore_sample.*")
        warnings.filterwarnings("ignore", message=".*confounds will be standardized.*")
        return signal.clean(np.eye(n_t), confounds=session.confounds.to_numpy(), sample_mask=session.sample_mask,
                            **strategy.clean_kwargs(tr_s))


def denoise_session(img: nib.Nifti1Image, mask: np.ndarray, session: SessionConfounds,
                    strategy: DenoiseStrategy, tr_s: float) -> np.ndarray:
    """Cleaned in-mask time series, float32 (n_kept_volumes, n_mask_voxels), voxels in C order:
    ``nilearn.signal.clean`` of every voxel, computed as :func:`cleaning_operator` @ data.

    Raises ValueError when the confounds table and the BOLD disagree in length.
    """
    from nilearn.image import smooth_img

    n_t = img.shape[3]
    if len(session.confounds) != n_t:
        raise ValueError(f"confounds table has {len(session.confounds)} rows but the BOLD has {n_t} volumes")
    if strategy.smoothing_fwhm_mm:
        img = smooth_img(img, strategy.smoothing_fwhm_mm)
    operator = cleaning_operator(session, strategy, tr_s)
    data = brain_series(img, mask)
    # L @ X = L @ (X - 1 m) + (L 1) m: centring first keeps float32 precise (BOLD mean >> its SD)
    mean = data.mean(axis=0, dtype=np.float64)
    data -= mean.astype(np.float32)
    out = operator.astype(np.float32) @ data  # one GEMM
    carried = operator.sum(axis=1)  # 0 whenever detrending or a high-pass removes the mean
    if np.abs(carried).max() > 1e-9:
        out += np.outer(carried.astype(np.float32), mean.astype(np.float32))
    return out


def brain_series(img: nib.Nifti1Image, mask: np.ndarray) -> np.ndarray:
    """In-mask BOLD (n_t, n_mask_voxels) float32, scaled values, voxels in C order."""
    return masked_series(np.asanyarray(img.dataobj), mask).astype(np.float32, copy=False)


def masked_series(data: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n_t, n_mask_voxels) of a 4-D array, voxels in C order (as ``data[mask].T``).

    NIfTI arrays come Fortran-ordered (x fastest, time slowest), where each volume is contiguous:
    the voxels are gathered from each volume in that order (monotonic reads), then put in C order
    within the much smaller result, ~10x faster than ``data[mask]`` at 2 mm.
    """
    if not data.flags.f_contiguous:
        return data[mask].T
    volumes = data.reshape(-1, data.shape[3], order="F").T  # (n_t, n_xyz), C-contiguous view
    in_f_order = np.flatnonzero(mask.ravel(order="F"))
    c_index = np.ravel_multi_index(np.unravel_index(in_f_order, mask.shape, order="F"), mask.shape)
    return volumes[:, in_f_order][:, np.argsort(c_index)]
