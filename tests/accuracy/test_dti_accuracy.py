"""Planted truth through the whole native DTI subject level: ROI-mean MD in MNI against the truth.

One subject at the study's acquisition (2 mm DWI, 4 b0 + 30 directions per series, 0.8 mm T1w,
Rician noise at b0 SNR 25), run through the workflow: corrections (one motion/eddy round), b0
mask, WLS tensor, ANTs post→pre, b0→T1w, T1w→MNI (affine + SyN), one resampling. Truth: the MNI
MD maps the data were simulated from. Two datasets:

- ``clean``: susceptibility, motion and eddy currents off; within 2 % (the corrections must not
  hurt clean data);
- ``distorted``: all three planted; within 3 % with the corrections on. Measured while building
  issue 5 (seed 5): corrected, max 1.9 % off and ΔMD within 0.43 % of the pre mean; the same data
  through the workflow without corrections, max 3.1 % off and ΔMD off by up to 1.7 % of the pre
  mean (R BA10: 44 vs 27 x 10⁻⁶ mm²/s planted). So ΔMD is asserted within 1 % here.

At the tiny preset's 4 mm the thin cortical ROIs (vACC) are off by about 4 % even on clean data, so
this check runs at the study's 2 mm: the study's voxels, readout and 104 voxels along the
phase-encoding axis, on a slab (SLAB) that holds every ROI. The slab costs 56 % of the study's field
of view, and the DWI steps' time with it. Measured on the clean dataset (seed 5), worst ROI: the
right BA10, 1.72 % low on the whole 104 x 104 x 72 field of view, 1.95 % on this slab, 2.19 % on a
40-slice slab (12 mm to spare), which fails; the distorted dataset's worst, 2.27 % on this slab.
The runs build only the MD maps the checks read (the one-subject group steps assert nothing here).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
from concurrent.futures import ProcessPoolExecutor

import nibabel as nib
import numpy as np
import pytest
from helpers import BIN, ROOT, write_config

from trialmri.synth import Distortions, synthesize
from trialmri.synth.presets import get_preset

ONE_SUBJECT = dict(dti_groups={"ketamine": 1, "vehicle": 0}, rs_groups={"HV": 1, "TRD": 1},
                   rs_missing={"HV": 0, "TRD": 0}, bold_volumes=24)
# 48 slices (96 mm) about MNI z = -2 hold every ROI (z -30 to +26 mm) with 20 mm to spare for head
# pitch (up to 6 degrees: 9 mm at the frontal pole) and motion; 88 voxels (176 mm) across hold the
# brain's whole width; all 104 voxels along the phase-encoding axis, as in the study.
SLAB = dict(dwi_shape=(88, 104, 48), dwi_centre_mni=(0.0, -18.0, -2.0))
TOLERANCE = {"clean": 0.02, "distorted": 0.03}  # ROI-mean MD, fraction of the planted mean
NICE = 10  # the study runs' scheduling priority (0 normal, 19 lowest); results do not depend on it
DELTA_TOLERANCE = {"clean": 0.02, "distorted": 0.01}  # ΔMD, fraction of the planted pre mean
DISTORTIONS = {"clean": Distortions(susceptibility=False, motion=False, eddy=False, noise=True),
               "distorted": Distortions()}


def md_maps(work) -> list:
    """The run's targets: the subject's MD maps in MNI, pre and post (the DTI subject level only:
    the group steps of a one-subject trial assert nothing here)."""
    truth = json.loads((work / "bids" / "truth.json").read_text())["dti"]
    (subject,) = truth["subjects"]
    return [work / "results" / f"sub-{subject}" / f"ses-{s}" / "dwi" /
            f"sub-{subject}_ses-{s}_space-MNI152NLin2009aSym_res-2_param-md_dwimap.nii.gz" for s in ("pre", "post")]


@pytest.fixture(scope="module")
def study_runs(tmp_path_factory) -> dict:
    """Both datasets written and run side by side, each workflow on one core: a one-subject run
    leaves a core idle through its chain of registrations, so two in parallel take ~25 % less
    time than one after the other. At a lower priority (NICE): in `make test` they share the
    machine with the workflow tier, the suite's longest chain, and run in its idle time first."""
    works = {dataset: tmp_path_factory.mktemp(f"dti_accuracy_{dataset}") for dataset in TOLERANCE}
    with ProcessPoolExecutor(len(works), mp_context=multiprocessing.get_context("spawn"),
                             initializer=os.nice, initargs=(NICE,)) as pool:
        for done in [pool.submit(synthesize, work / "bids", get_preset("study", **ONE_SUBJECT, **SLAB), seed=5,
                                 distortions=DISTORTIONS[dataset]) for dataset, work in works.items()]:
            done.result()
    runs = {}
    for dataset, work in works.items():
        write_config(work, extra="dti:\n  corrections:\n    iterations: 1\n")  # default SyN
        cmd = ["nice", "-n", NICE, BIN / "snakemake", *md_maps(work), "-s", ROOT / "Snakefile", "-d", work,
               "--cores", "1", "-q", "--configfile", work / "config.yaml"]
        with open(work / "snakemake.out", "w") as log:
            runs[dataset] = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    for dataset, proc in runs.items():
        proc.wait()
        out = (works[dataset] / "snakemake.out").read_text()
        assert proc.returncode == 0, f"{dataset}: the workflow exited {proc.returncode}\n{out[-5000:]}"
    return works


@pytest.fixture(params=list(TOLERANCE))
def study_run(request, study_runs):
    return request.param, study_runs[request.param]


def test_roi_mean_md_in_mni_close_to_truth(study_run):
    dataset, study_run = study_run
    truth = json.loads((study_run / "bids" / "truth.json").read_text())["dti"]
    (subject, info), = truth["subjects"].items()
    errors = {}
    for session, planted in info["sessions"].items():
        path = (study_run / "results" / f"sub-{subject}" / f"ses-{session}" / "dwi" /
                f"sub-{subject}_ses-{session}_space-MNI152NLin2009aSym_res-2_param-md_dwimap.nii.gz")
        md = nib.load(path).get_fdata()
        for roi, mask_file in truth["roi_masks"].items():
            mask = nib.load(study_run / "bids" / mask_file).get_fdata() > 0
            assert mask.shape == md.shape
            values = md[mask]
            assert np.isfinite(values).mean() > 0.97, f"{roi} {session}: too many voxels without data"
            errors[(session, roi)] = np.nanmean(values) / planted["roi_mean_md"][roi] - 1
    assert len(errors) == 14
    worst = max(errors, key=lambda k: abs(errors[k]))
    print({f"{s}/{r}": f"{100 * e:+.2f}%" for (s, r), e in errors.items()})
    assert abs(errors[worst]) < TOLERANCE[dataset], f"{dataset} {worst}: {100 * errors[worst]:+.2f}% from the planted ROI mean"


def test_planted_session_change_survives(study_run):
    """ΔMD = MD(pre) − MD(post) per ROI, measured, against planted (fraction of the pre mean)."""
    dataset, study_run = study_run
    truth = json.loads((study_run / "bids" / "truth.json").read_text())["dti"]
    (subject, info), = truth["subjects"].items()
    maps = {s: nib.load(study_run / "results" / f"sub-{subject}" / f"ses-{s}" / "dwi" /
                        f"sub-{subject}_ses-{s}_space-MNI152NLin2009aSym_res-2_param-md_dwimap.nii.gz").get_fdata()
            for s in ("pre", "post")}
    errors = {}
    for roi, mask_file in truth["roi_masks"].items():
        mask = nib.load(study_run / "bids" / mask_file).get_fdata() > 0
        measured = np.nanmean(maps["pre"][mask]) - np.nanmean(maps["post"][mask])
        errors[roi] = (measured - info["roi_delta_md"][roi]) / info["sessions"]["pre"]["roi_mean_md"][roi]
    print(dataset, "ΔMD error, fraction of the pre mean:", {roi: f"{100 * e:+.2f}%" for roi, e in errors.items()})
    assert all(abs(e) < DELTA_TOLERANCE[dataset] for e in errors.values()), errors
