"""The tiny trial's rsfMRI arm cut down for runs of the AFNI engine: every session's fMRIPrep images
are cropped to the bounding box of boxes (MNI mm) around the seeds, two planted targets and the
control ROI, and the brain mask is cut to the boxes, so that 3dLME, which fits one voxel at a time
in R (about 17 ms a voxel here), fits about a thousand voxels instead of the tiny trial's 29,000,
and 3dClustSim simulates a small grid. The cropped images keep their voxels and MNI positions (the
affine moves with the crop): a field of view that does not cover the whole brain, as a slab
acquisition has. The groups are coded as some labs code them, 1 (HV) and 2 (TRD): numbers that
3dLME would take for a quantitative variable if they reached it as they are."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

# (x, y, z) ranges in MNI mm: the striatal seeds with the DC and DCP targets, and V1
BOXES_MM = (((-32, 52), (0, 40), (-12, 12)), ((-16, 16), (-84, -68), (4, 16)))
AFNI_DIR = Path(__file__).resolve().parents[2] / "shared" / "afni"  # ../shared/afni from the clone
GROUP_CODES = {"HV": "1", "TRD": "2"}
# the test run's settings on top of the study preset: the numeric group codes, 3dClustSim's least
# iterations (it raises fewer to 2000)
TEST_OVERLAY = ("rsfmri:\n  groups: {patient: '2', control: '1'}\n"
                "  clusters:\n    iterations: 2000\n")


def afni_path() -> str:
    """The PATH with AFNI's programs first, from AFNI_DIR/install.sh (which, as root, installs their
    Debian runtime packages when missing and checks every program). Raises if the checks fail."""
    args = ["bash", str(AFNI_DIR / "install.sh"), "--quiet"] + ([] if os.geteuid() == 0 else ["--no-apt"])
    proc = subprocess.run(args, capture_output=True, text=True)
    line = re.fullmatch(r'export PATH="(.*):\$PATH"', proc.stdout.strip())
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"{AFNI_DIR}/install.sh failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return f"{line.group(1)}:{os.environ['PATH']}"


def box_mask(img: nib.Nifti1Image, boxes=BOXES_MM) -> np.ndarray:
    """Voxels of ``img``'s grid whose centres lie in any of ``boxes`` (inclusive, mm)."""
    ijk = np.indices(img.shape[:3]).reshape(3, -1)
    xyz = (img.affine @ np.vstack([ijk, np.ones(ijk.shape[1])]))[:3]
    inside = np.zeros(ijk.shape[1], bool)
    for box in boxes:
        inside |= np.all([(lo <= c) & (c <= hi) for c, (lo, hi) in zip(xyz, box)], axis=0)
    return inside.reshape(img.shape[:3])


def _crop(img: nib.Nifti1Image, box: np.ndarray) -> nib.Nifti1Image:
    """``img`` cut to the voxel bounding box of ``box`` (3-D bool), its affine moved to match."""
    lo = np.argwhere(box).min(axis=0)
    hi = np.argwhere(box).max(axis=0) + 1
    data = np.asarray(img.dataobj)[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    affine = img.affine.copy()
    affine[:3, 3] = img.affine[:3, :3] @ lo + img.affine[:3, 3]
    out = nib.Nifti1Image(data, affine, img.header)
    out.set_qform(affine, code=int(img.header["qform_code"]) or 1)
    out.set_sform(affine, code=int(img.header["sform_code"]) or 1)
    return out


def write_boxed_rsfmri(tiny: Path, out: Path, boxes=BOXES_MM) -> Path:
    """``out``: a copy of the tiny trial's rsfMRI subjects (raw and fMRIPrep folders, the tables),
    each session's fMRIPrep images cropped to ``boxes``' bounding box and its ``desc-brain_mask``
    cut to ``boxes``. Returns ``out``."""
    shutil.copytree(tiny, out, ignore=shutil.ignore_patterns("sub-d*", "truth*"))
    participants = pd.read_csv(out / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    participants["group"] = participants["group"].replace(GROUP_CODES)
    participants.to_csv(out / "participants.tsv", sep="\t", index=False)
    for path in sorted((out / "derivatives" / "fmriprep").rglob("sub-*/ses-*/func/*.nii.gz")):
        img = nib.load(path)
        box = box_mask(img, boxes)
        if path.name.endswith("desc-brain_mask.nii.gz"):
            img = nib.Nifti1Image(((np.asarray(img.dataobj) > 0) & box).astype(np.uint8), img.affine, img.header)
        nib.save(_crop(img, box), path)
    return out
