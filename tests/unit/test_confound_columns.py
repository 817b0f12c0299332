"""Confound columns an older or pruned fMRIPrep table lacks: expansions and DVARS computed
(trialmri.fc.confound_columns), and a session with such a table checked, loaded and denoised."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.fc import confound_columns as cc
from trialmri.fc.confounds import column_plan, load_session_confounds
from trialmri.fc.denoise_files import denoise_files
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.text_files import write_json
from trialmri.tables import read_tsv, write_tsv
from trialmri.qc.inputs import check_subject

MOTION = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]


def _no_bold():
    raise AssertionError("the BOLD was read although no DVARS column is computed")


def test_derivative_and_squares_as_fmriprep_defines_them():
    table = pd.DataFrame({"trans_x": [1.0, 3.0, 2.0, 2.5], "csf": [10.0, 12.0, 11.0, 15.0]})
    out, how = cc.complete(table, ["trans_x", "trans_x_derivative1", "trans_x_power2",
                                   "trans_x_derivative1_power2", "csf_power2"], _no_bold)
    nan = np.nan
    np.testing.assert_array_equal(out["trans_x_derivative1"], [nan, 2.0, -1.0, 0.5])  # first row n/a
    np.testing.assert_array_equal(out["trans_x_power2"], [1.0, 9.0, 4.0, 6.25])
    np.testing.assert_array_equal(out["trans_x_derivative1_power2"], [nan, 4.0, 1.0, 0.25])
    np.testing.assert_array_equal(out["csf_power2"], [100.0, 144.0, 121.0, 225.0])
    assert set(how) == {"trans_x_derivative1", "trans_x_power2", "trans_x_derivative1_power2", "csf_power2"}
    assert how["trans_x_power2"] == "square of trans_x"
    assert "backward difference of trans_x, first row n/a" in how["trans_x_derivative1"]
    assert list(table.columns) == ["trans_x", "csf"]  # the input table is not modified


def test_present_columns_are_never_recomputed():
    # a present derivative that is not the backward difference (e.g. a different fMRIPrep rounding)
    table = pd.DataFrame({"trans_x": [1.0, 3.0, 2.0], "trans_x_derivative1": [np.nan, 5.0, 7.0],
                          "std_dvars": [np.nan, 1.2, 0.9]})
    before = table.copy()
    out, how = cc.complete(table, ["trans_x", "trans_x_derivative1", "trans_x_derivative1_power2", "std_dvars"],
                           _no_bold)
    pd.testing.assert_frame_equal(out[before.columns], before)
    # the square is of the table's own derivative column
    np.testing.assert_array_equal(out["trans_x_derivative1_power2"], [np.nan, 25.0, 49.0])
    assert how == {"trans_x_derivative1_power2": "square of trans_x_derivative1"}
    same, none = cc.complete(table, ["trans_x", "std_dvars"], _no_bold)
    assert none == {} and same is table


def test_missing_base_is_a_clear_error_before_anything_is_computed():
    table = pd.DataFrame({"trans_y": [0.0, 1.0]})
    with pytest.raises(cc.MissingConfounds) as err:
        cc.complete(table, ["trans_x", "trans_x_power2", "trans_y_power2", "std_dvars"], None)
    assert err.value.columns == ["trans_x", "trans_x_power2", "std_dvars"]  # DVARS: no BOLD given
    assert cc.plan(["trans_y"], ["std_dvars", "white_matter_derivative1"], from_bold=True) == (
        {"std_dvars": cc.DVARS_HOW}, ["white_matter_derivative1"])
    # the square of a present derivative needs no base
    assert cc.plan(["csf_derivative1"], ["csf_derivative1_power2", "csf_power2"], from_bold=False) == (
        {"csf_derivative1_power2": "square of csf_derivative1"}, ["csf_power2"])


def test_dvars_definition_on_a_tiny_series():
    """Three voxels, hand-computed: normalisation to the median of all at 1000, robust SD from the
    "lower" quartiles, Yule-Walker AR(1); the third voxel's quartiles are equal, so it is dropped."""
    x = np.array([[100.0, 50.0, 50.0], [102.0, 52.0, 50.0], [101.0, 51.0, 50.0], [99.0, 47.0, 50.0],
                  [100.0, 53.0, 60.0]], np.float32)
    raw, std = cc.dvars(x)
    scaled = (x / np.median(x) * 1000)[:, :2]
    d = np.diff(scaled, axis=0)
    expected_raw = np.sqrt((d**2).mean(axis=1))
    sd = (np.percentile(scaled, 75, axis=0, method="lower") - np.percentile(scaled, 25, axis=0, method="lower")) / 1.349
    c = scaled - scaled.mean(axis=0)
    ar1 = (c[1:] * c[:-1]).sum(0) / (c**2).sum(0)
    assert np.isnan(raw[0]) and np.isnan(std[0]) and raw.shape == std.shape == (5,)
    np.testing.assert_allclose(raw[1:], expected_raw, rtol=1e-6)
    np.testing.assert_allclose(std[1:], expected_raw / (np.sqrt(2 * (1 - ar1)) * sd).mean(), rtol=1e-6)


def test_std_dvars_ignores_constant_voxels_and_the_intensity_scale():
    rng = np.random.default_rng(1)
    x = (1000 + 30 * rng.standard_normal((50, 300)) + np.linspace(0, 40, 50)[:, None]).astype(np.float32)
    raw, std = cc.dvars(x, chunk=64)
    with_constant = np.concatenate([x, np.full((50, 100), 500, np.float32)], axis=1)
    np.testing.assert_allclose(cc.dvars(with_constant)[1], std, rtol=1e-5)  # remove_zerovariance
    raw2, std2 = cc.dvars(3 * x)
    np.testing.assert_allclose(std2, std, rtol=1e-5)
    np.testing.assert_allclose(raw2, raw, rtol=1e-5)  # dvars is in units of the median scaled to 1000
    with pytest.raises(ValueError, match="constant"):
        cc.dvars(np.ones((10, 4), np.float32))


def test_strategy_needs_only_the_columns_of_its_thresholds():
    full = DenoiseStrategy().confound_columns_needed
    assert len([c for c in full if c.split("_")[0] in ("trans", "rot")]) == 24
    assert {"white_matter", "csf", "framewise_displacement", "std_dvars"} <= set(full)
    assert "csf_power2" not in full  # wm_csf: basic
    no_dvars = DenoiseStrategy(std_dvars_threshold=None)
    assert "std_dvars" not in no_dvars.confound_columns_needed
    assert no_dvars.scrub_columns_unused == ["std_dvars"]
    no_fd = DenoiseStrategy(fd_threshold_mm=None)
    assert "framewise_displacement" not in no_fd.confound_columns_needed
    assert DenoiseStrategy(fd_threshold_mm=None, std_dvars_threshold=None).scrub_columns_unused == []


# --- one session whose table lacks std_dvars, dvars and every expansion column ----------------

N_T, TR = 80, 2.0


@pytest.fixture
def pruned_session(tmp_path):
    """A small fMRIPrep-layout session (10x10x6 voxels, 80 volumes) whose confounds table has only
    the six motion parameters, white matter, CSF and FD."""
    rng = np.random.default_rng(7)
    func = tmp_path / "sub-01" / "ses-a" / "func"
    func.mkdir(parents=True)
    bold = func / "sub-01_ses-a_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    mask = np.zeros((10, 10, 6), bool)
    mask[2:8, 2:8, 1:5] = True
    data = (1000 + 20 * rng.standard_normal((10, 10, 6, N_T)) + np.linspace(0, 30, N_T)).astype(np.float32)
    img = nib.Nifti1Image(data, np.diag([3.0, 3.0, 3.0, 1.0]))
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = TR
    img.to_filename(bold)
    mask_path = func / "sub-01_ses-a_task-rest_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz"
    nib.Nifti1Image(mask.astype(np.uint8), img.affine).to_filename(mask_path)
    motion = np.cumsum(rng.normal(0, 0.02, (N_T, 6)), axis=0)
    table = pd.DataFrame(motion, columns=MOTION)
    table["white_matter"] = data[mask].mean(0) + rng.normal(0, 1, N_T)
    table["csf"] = data[mask].mean(0) + rng.normal(0, 1, N_T)
    fd = np.abs(np.diff(motion, axis=0)).sum(1)
    table["framewise_displacement"] = np.concatenate([[np.nan], fd])
    conf = func / "sub-01_ses-a_task-rest_desc-confounds_timeseries.tsv"
    write_tsv(conf, table)
    write_json(conf.with_suffix(".json"), {})
    return {"bold": bold, "mask": mask_path, "confounds": conf, "dir": tmp_path}


STRATEGY = DenoiseStrategy(min_volumes=40)  # the default motion full, wm_csf basic, FD 0.5 mm + std DVARS 1.5
EXPANSIONS = {f"{m}{s}" for m in MOTION for s in ("_derivative1", "_power2", "_derivative1_power2")}


def test_pruned_table_passes_the_input_check(pruned_session):
    files = {"bold_a_bold": str(pruned_session["bold"]), "bold_a_confounds": str(pruned_session["confounds"]),
             "bold_a_mask": str(pruned_session["mask"])}
    qc = check_subject("01", files, STRATEGY)
    assert (qc["status"] == "pass").all(), qc[qc["status"] == "fail"].to_dict("records")
    assert {"denoising columns", "volumes after censoring"} <= set(qc["check"])
    notes = " ".join(qc.attrs["notes"])
    assert "lacks std_dvars; trialmri computes it: nipype compute_dvars" in notes
    assert "lacks trans_x_power2; trialmri computes it: square of trans_x" in notes


def test_pruned_table_without_a_base_column_fails_the_check_naming_it(pruned_session):
    table = read_tsv(pruned_session["confounds"]).drop(columns=["rot_z"])
    write_tsv(pruned_session["confounds"], table)
    files = {"bold_a_bold": str(pruned_session["bold"]), "bold_a_confounds": str(pruned_session["confounds"])}
    row = check_subject("01", files, STRATEGY).set_index("check").loc["denoising columns"]
    assert row["status"] == "fail"
    assert row["message"].startswith("no column(s) rot_z, rot_z_derivative1, rot_z_power2, rot_z_derivative1_power2,")
    with pytest.raises(ValueError, match=r"desc-confounds_timeseries.tsv: no column\(s\) rot_z, rot_z_derivative1"):
        load_session_confounds(pruned_session["bold"], STRATEGY, lambda: np.zeros((N_T, 1)))


def test_pruned_table_denoises_as_the_completed_table_and_the_sidecar_says_what_was_computed(pruned_session):
    out = pruned_session["dir"] / "out"
    summary = denoise_files(pruned_session["bold"], STRATEGY, out / "d.nii.gz", out / "m.nii.gz", out / "c.tsv",
                            mask_path=pruned_session["mask"])
    json.dumps(summary)  # the sidecar is JSON-ready
    computed = summary["ComputedConfounds"]
    assert set(computed) == EXPANSIONS | {"std_dvars"}
    assert computed["trans_x_derivative1_power2"].startswith("square of trans_x_derivative1")
    assert computed["std_dvars"].startswith("nipype compute_dvars (remove_zerovariance")
    assert summary["Excluded"] is None and summary["VolumesKept"] >= 40
    censoring = read_tsv(out / "c.tsv")
    assert np.isnan(censoring["std_dvars"][0]) and censoring["std_dvars"][1:].notna().all()
    # the same session with the computed columns written into fMRIPrep's table: same result, nothing computed
    img = nib.load(pruned_session["bold"])
    mask = np.asarray(nib.load(pruned_session["mask"]).dataobj) > 0
    full, _ = cc.complete(read_tsv(pruned_session["confounds"]), STRATEGY.confound_columns_needed,
                          lambda: np.asarray(img.dataobj)[mask].T)
    write_tsv(pruned_session["confounds"], full)
    assert column_plan(pruned_session["confounds"], STRATEGY, from_bold=False) == ({}, [])
    ref = denoise_files(pruned_session["bold"], STRATEGY, out / "d2.nii.gz", out / "m2.nii.gz", out / "c2.tsv",
                        mask_path=pruned_session["mask"])
    assert ref["ComputedConfounds"] == {} and ref["VolumesKept"] == summary["VolumesKept"]
    np.testing.assert_allclose(np.asarray(nib.load(out / "d.nii.gz").dataobj),
                               np.asarray(nib.load(out / "d2.nii.gz").dataobj), rtol=1e-5, atol=1e-3)


def test_null_dvars_threshold_needs_no_std_dvars(pruned_session):
    strategy = DenoiseStrategy(std_dvars_threshold=None, min_volumes=40)
    session = load_session_confounds(pruned_session["bold"], strategy)  # no BOLD series: none needed
    assert "std_dvars" in session.computed and "placeholder" in session.computed["std_dvars"]
    assert session.table["std_dvars"].isna().all()
    files = {"bold_a_bold": str(pruned_session["bold"]), "bold_a_confounds": str(pruned_session["confounds"])}
    assert (check_subject("01", files, strategy)["status"] == "pass").all()
