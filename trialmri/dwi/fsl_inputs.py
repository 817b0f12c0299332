"""The FSL engine's input files of one session: acqparams.txt, index.txt, topup datain, b0 list, eddy's gradients.

topup takes the b0s of every series merged in direction order (``fsl_commands.merge_b0s``); eddy
takes the full DWI series: both merged, or, when one direction is a b0-only series (the reverse-PE
b0s in ``fmap/``: no bval or bvec, every volume a b0), the other series alone. That b0-only series
keeps its acqparams row (topup's datain rows point at it) but has no volume in eddy's index, whose
every entry then points at the full series' row; eddy's gradients are that series' own.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np

from trialmri.bids.fieldmaps import require_dwi
from trialmri.dwi.acqparams import check_pair, read_acquisition, write_fsl_files
from trialmri.dwi.gradients import is_b0, series_gradients, write_fsl_gradients


def prepare_fsl_files(named: dict, outputs: dict) -> str:
    """``named``: direction → (nii, bval, bvec, json), bval and bvec None for a b0-only series.

    ``outputs`` keys: acqparams, index, b0_acqparams (topup datain), b0_volumes (0-based indices of
    the b0s in the merged series, one comma list), bval, bvec (eddy's). Returns a summary line.
    """
    require_dwi(named)
    acqs, bvals, bvecs, field_only = [], [], [], []
    for nii, bval, bvec, sidecar in named.values():
        shape = nib.load(nii).shape
        acqs.append(read_acquisition(sidecar, shape))
        b, g = series_gradients(bval, bvec, n_volumes=shape[3] if len(shape) == 4 else 1)
        bvals.append(b)
        bvecs.append(g)
        field_only.append(bval is None and bvec is None)
    check_pair(acqs)
    n_b0 = [int(is_b0(b).sum()) for b in bvals]
    write_fsl_files(acqs, [0 if b0s else len(b) for b0s, b in zip(field_only, bvals)], outputs["acqparams"],
                    outputs["index"], outputs["b0_acqparams"], n_b0)
    merged = np.concatenate(bvals)  # fslmerge's order: every series (topup's b0s come from it)
    with open(outputs["b0_volumes"], "w") as f:
        f.write(",".join(str(v) for v in np.flatnonzero(is_b0(merged))) + "\n")
    eddy = [k for k, b0s in enumerate(field_only) if not b0s]
    write_fsl_gradients(outputs["bval"], outputs["bvec"], np.concatenate([bvals[k] for k in eddy]),
                        np.concatenate([bvecs[k] for k in eddy]))
    names = list(named)
    corrected = "both series merged" if len(eddy) == len(names) else (
        f"{', '.join(names[k] for k in eddy)} alone (reverse phase encoding: b0-only series "
        f"{', '.join(names[k] for k, b0s in enumerate(field_only) if b0s)} in fmap/, topup only)")
    return f"{len(acqs)} series, {len(merged)} volumes, {sum(n_b0)} b0s for topup; eddy corrects {corrected}"
