"""The tiny trial the workflow tier runs on (`trialmri synth --preset tiny`): valid BIDS, with the
contents and planted truth the workflow tests rely on."""

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from helpers import BIN, run

from trialmri.synth.design import change_profiles


def test_validates_with_bids_validator_without_errors(tiny_bids):
    proc = run([BIN / "bids-validator-deno", "--format", "json", tiny_bids], check=False)
    report = json.loads(proc.stdout)
    errors = [i for i in report["issues"]["issues"] if i["severity"] == "error"]
    assert errors == [], errors[:3]
    assert set(report["summary"]["sessions"]) == {"pre", "post", "ketamine", "placebo"}
    assert len(report["summary"]["subjects"]) == 16


def test_tiny_dataset_contents(tiny_bids):
    participants = pd.read_csv(tiny_bids / "participants.tsv", sep="\t")
    assert participants["group"].value_counts().to_dict() == {"ketamine": 5, "vehicle": 3, "HV": 4, "TRD": 4}
    dwi = sorted(p.name for p in (tiny_bids / "sub-d01" / "ses-post" / "dwi").iterdir())
    assert dwi == [f"sub-d01_ses-post_dir-{d}_dwi{e}" for d in ("AP", "PA") for e in (".bval", ".bvec", ".json", ".nii.gz")]
    meta = json.loads((tiny_bids / "sub-d01" / "ses-pre" / "dwi" / "sub-d01_ses-pre_dir-AP_dwi.json").read_text())
    assert meta["PhaseEncodingDirection"] == "j-" and 0.01 < meta["TotalReadoutTime"] < 0.1
    img = nib.load(tiny_bids / "sub-d01" / "ses-pre" / "dwi" / "sub-d01_ses-pre_dir-AP_dwi.nii.gz")
    assert img.shape[3] == 14 and np.linalg.det(img.affine[:3, :3]) < 0  # LAS, FSL bvec frame
    truth = json.loads((tiny_bids / "truth.json").read_text())
    missing = [s for s, v in truth["rsfmri"]["subjects"].items() if v["missing_sessions"]]
    assert len(missing) == 1
    func = tiny_bids / "derivatives" / "fmriprep" / f"sub-{missing[0]}"
    assert not (func / "ses-placebo").exists() and (func / "ses-ketamine" / "func").is_dir()
    conf = pd.read_csv(next((func / "ses-ketamine" / "func").glob("*confounds_timeseries.tsv")), sep="\t")
    for col in ("trans_x", "rot_z_derivative1", "white_matter", "csf", "framewise_displacement"):
        assert col in conf
    assert (tiny_bids / ".bidsignore").read_text().split() == ["truth.json", "truth"]


def test_planted_delta_md_is_in_the_truth_maps(tiny_bids):
    truth = json.loads((tiny_bids / "truth.json").read_text())["dti"]
    masks = {r: nib.load(tiny_bids / f).get_fdata() > 0 for r, f in truth["roi_masks"].items()}
    mask = masks["lamygdala"]
    assert 20 < mask.sum() < 2000
    # The change tapers across ROI borders: MD(post) = MD(pre) x global x prod(1 - delta_frac x profile)
    profiles = change_profiles(masks, truth["truth_grid"]["affine"][0][0])
    assert profiles["lamygdala"][mask].max() > 0.95
    for sub, info in truth["subjects"].items():
        md = {s: nib.load(tiny_bids / info["sessions"][s]["md_mni"]).get_fdata() for s in ("pre", "post")}
        delta = md["pre"][mask].mean() - md["post"][mask].mean()
        assert delta == pytest.approx(info["roi_delta_md"]["lamygdala"], abs=1e-9)  # float32 maps: MD x 1e-6
        expected = info["post_global_scale"] * np.prod([1 - info["delta_frac"][r] * p[mask]
                                                        for r, p in profiles.items()], axis=0)
        np.testing.assert_allclose(md["post"][mask] / md["pre"][mask], expected, rtol=2e-5)
        assert 0.5e-3 < md["pre"][mask].mean() < 1.2e-3  # grey-matter MD, mm²/s
