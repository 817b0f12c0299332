"""File-level denoising of one session: fMRIPrep BOLD (+ confounds beside it, + brain mask) in;
the cleaned 4-D series (kept volumes only, float32, 0 outside the mask), the mask used and the
per-volume censoring table out, with a summary for the JSON sidecar (``ComputedConfounds``: the
confound columns the table lacked and trialmri computed, and how).
"""

from __future__ import annotations

import time

import nibabel as nib
import nilearn
import numpy as np

from trialmri import __version__
from trialmri.fc.confounds import load_session_confounds, too_few_volumes
from trialmri.fc.denoise import brain_mask, brain_series, denoise_session, repetition_time
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.io import save_nifti
from trialmri.tables import write_tsv


def denoise_files(bold_path, strategy: DenoiseStrategy, out_bold, out_mask, out_censoring,
                  mask_path=None) -> dict:
    """Denoise ``bold_path``; returns the sidecar summary (volumes kept, exclusion reason or None).

    A session that censoring leaves with fewer than ``strategy.min_volumes`` volumes, or with fewer
    than the band-pass filter needs, is not cleaned: ``Excluded`` gives the reason and ``out_bold``
    holds one empty volume (the seed maps of an excluded session are all NaN).
    """
    start = time.perf_counter()
    img = nib.load(bold_path)
    if img.ndim != 4:
        raise ValueError(f"{bold_path}: a 4-D BOLD series is needed, got {img.ndim}-D {img.shape}")
    tr = repetition_time(img, bold_path)
    mask = brain_mask(img, mask_path)
    session = load_session_confounds(bold_path, strategy, lambda: brain_series(img, mask))
    excluded = too_few_volumes(session, strategy)
    cleaned = np.zeros((1, int(mask.sum())), dtype=np.float32)
    if excluded is None:
        try:
            cleaned = denoise_session(img, mask, session, strategy, tr)
        except ValueError as err:
            if "padlen" not in str(err):
                raise
            excluded = (f"{session.n_kept} volumes are too few for the {list(strategy.band_pass_hz)} Hz band-pass "
                        f"filter (scipy: {err})")
    out = np.zeros((*mask.shape, cleaned.shape[0]), dtype=np.float32)
    out[mask] = cleaned.T
    save_nifti(out_bold, out, img.affine, np.float32, tr_s=tr, description="trialmri denoised BOLD")
    save_nifti(out_mask, mask, img.affine, np.uint8)
    write_tsv(out_censoring, session.table)
    fd = session.table["framewise_displacement"]
    return {"Sources": [str(bold_path)], "RepetitionTime": tr,
            "Strategy": strategy.describe(),
            "ComputedConfounds": session.computed,
            "VolumesTotal": session.n_volumes, "VolumesKept": session.n_kept,
            "MeanFramewiseDisplacement_mm": float(np.nanmean(fd)) if fd.notna().any() else None,
            "BrainMask": "fMRIPrep desc-brain mask" if mask_path else "nilearn compute_epi_mask",
            "VoxelsInMask": int(mask.sum()),
            "Excluded": excluded,
            "Software": {"trialmri": __version__, "nilearn": nilearn.__version__},
            "Seconds": round(time.perf_counter() - start, 2)}
