"""Confound columns trialmri computes for a table that lacks them, against fMRIPrep's own code:
DVARS against nipype's ``compute_dvars`` called with fMRIPrep's options (nipype is a trialmri
dependency; its AR(1) needs nitime, a dev dependency: skipped without it), the expansions against
niworkflows' ``temporal_derivatives`` / ``exponential_terms`` (verbatim copy in tests/reference/),
and the expansions of a `trialmri synth` session's table, which synth computes with its own code."""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from reference.niworkflows_confounds import exponential_terms, temporal_derivatives

from trialmri.fc import confound_columns as cc
from trialmri.fc.confounds import load_session_confounds
from trialmri.fc.denoise import brain_series
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.grids import Grid
from trialmri.text_files import write_json
from trialmri.tables import read_tsv, write_tsv
from trialmri.synth import bold
from trialmri.synth.design import SEEDS, TARGETS
from trialmri.templates import brain_box_mm, mni_on_grid

RTOL = 1e-5
EXPANDED = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z", "white_matter", "csf", "global_signal"]


def _agreement(ours: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    diff = np.abs(ours - ref)
    return float(diff.max()), float((diff / np.maximum(np.abs(ref), 1e-300)).max())


@pytest.fixture(scope="module")
def noisy_bold(tmp_path_factory):
    """12x12x8x40 float32 noise with a linear drift and a slow wave (mean 1000), a box mask
    holding a constant voxel and one whose quartiles are equal (both dropped as zero-variance)."""
    rng = np.random.default_rng(2024)
    t = np.arange(40)
    data = 1000 + 40 * rng.standard_normal((12, 12, 8, 40)) + 2.5 * t + 15 * np.sin(t / 4)
    data[4, 4, 4] = 950.0
    data[5, 5, 4] = np.where(t < 35, 990.0, 1200.0)
    mask = np.zeros((12, 12, 8), bool)
    mask[2:10, 2:11, 1:7] = True
    root = tmp_path_factory.mktemp("dvars")
    affine = np.diag([3.0, 3.0, 3.5, 1.0])
    nib.Nifti1Image(data.astype(np.float32), affine).to_filename(root / "bold.nii.gz")
    nib.Nifti1Image(mask.astype(np.uint8), affine).to_filename(root / "mask.nii.gz")
    return root


def test_dvars_match_nipype_compute_dvars_with_fmriprep_options(noisy_bold):
    pytest.importorskip("nitime", reason="nipype's compute_dvars needs nitime (dev extra) for its AR(1)")
    os.environ.setdefault("NIPYPE_NO_ET", "1")  # no version check over the network on import
    from nipype.algorithms.confounds import compute_dvars

    # fMRIPrep: ComputeDVARS(save_nstd=True, save_std=True, remove_zerovariance=True), whose
    # variance_tol (1e-7) and intensity_normalization (1000) are the interface defaults
    std, nstd, _ = compute_dvars(str(noisy_bold / "bold.nii.gz"), str(noisy_bold / "mask.nii.gz"),
                                 remove_zerovariance=True, variance_tol=1e-7, intensity_normalization=1000)
    img = nib.load(noisy_bold / "bold.nii.gz")
    mask = np.asarray(nib.load(noisy_bold / "mask.nii.gz").dataobj) > 0
    for chunk in (16384, 50):  # one block, and many blocks of voxels
        raw, standardized = cc.dvars(brain_series(img, mask), chunk=chunk)
        assert np.isnan(raw[0]) and np.isnan(standardized[0])  # fMRIPrep's first row is n/a
        for name, ours, ref in (("dvars", raw[1:], nstd), ("std_dvars", standardized[1:], std)):
            abs_err, rel_err = _agreement(ours, ref)
            print(f"{name} (chunk {chunk}) vs nipype compute_dvars: max abs {abs_err:.2e}, max rel {rel_err:.2e}")
            np.testing.assert_allclose(ours, ref, rtol=RTOL)


def test_a_table_without_std_dvars_gets_nipype_values_when_loaded(noisy_bold, tmp_path):
    pytest.importorskip("nitime", reason="nipype's compute_dvars needs nitime (dev extra) for its AR(1)")
    os.environ.setdefault("NIPYPE_NO_ET", "1")
    from nipype.algorithms.confounds import compute_dvars

    func = tmp_path / "sub-01" / "ses-a" / "func"
    func.mkdir(parents=True)
    bold_path = func / "sub-01_ses-a_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    bold_path.symlink_to(noisy_bold / "bold.nii.gz")
    motion = np.random.default_rng(0).normal(0, 0.01, (40, 6)).cumsum(0)
    table = pd.DataFrame(motion, columns=EXPANDED[:6]).assign(framewise_displacement=0.1)
    write_tsv(func / "sub-01_ses-a_task-rest_desc-confounds_timeseries.tsv", table)
    write_json(func / "sub-01_ses-a_task-rest_desc-confounds_timeseries.json", {})
    img = nib.load(bold_path)
    mask = np.asarray(nib.load(noisy_bold / "mask.nii.gz").dataobj) > 0
    std, _, _ = compute_dvars(str(bold_path), str(noisy_bold / "mask.nii.gz"), remove_zerovariance=True,
                              variance_tol=1e-7)
    threshold = float(np.sort(std)[[33, 34]].mean())  # the 6 highest of 39 above it, well clear of any value
    strategy = DenoiseStrategy(motion="basic", wm_csf=None, std_dvars_threshold=threshold, min_segment=0)
    session = load_session_confounds(bold_path, strategy, lambda: brain_series(img, mask))
    assert list(session.computed) == ["std_dvars"]
    assert np.isnan(session.table["std_dvars"][0])
    np.testing.assert_allclose(session.table["std_dvars"][1:], std, rtol=RTOL)
    # censoring by trialmri's values is censoring by nipype's
    np.testing.assert_array_equal(session.sample_mask, np.flatnonzero(np.concatenate([[True], std <= threshold])))


def test_expansions_match_niworkflows(noisy_bold):
    rng = np.random.default_rng(5)
    base = pd.DataFrame(rng.normal(0, 1, (30, len(EXPANDED))).cumsum(0), columns=EXPANDED)
    # fMRIPrep's model: (dd1(rps + wm + csf + gsr))^^2, i.e. derivatives then squares of both
    names, derived = temporal_derivatives([0, 1], EXPANDED, base)
    names, reference = exponential_terms([1, 2], names, derived)
    needed = [f"{v}{s}" for v in EXPANDED for s in ("", "_derivative1", "_power2", "_derivative1_power2")]
    ours, how = cc.complete(base, needed)
    assert set(how) == set(needed) - set(EXPANDED)
    assert set(reference.columns) == set(needed)
    pd.testing.assert_frame_equal(ours[needed], reference[needed], check_exact=True)


@pytest.fixture(scope="module")
def synth_table():
    """The confounds table of one `trialmri synth` session (8 mm grid, 24 volumes)."""
    lo, hi = brain_box_mm(margin_mm=8.0)
    grid = Grid.covering(lo, hi, (8.0, 8.0, 8.0))
    _, table = bold.simulate_session(mni_on_grid(grid), grid, 24, 2.5, dict.fromkeys(SEEDS, 0.5), SEEDS, TARGETS,
                                     np.random.default_rng(11))
    return table


def test_expansions_match_trialmri_synth_table(synth_table, tmp_path):
    """synth writes X_derivative1, X_power2 and X_derivative1_power2 by fMRIPrep's definition: the
    ones trialmri derives from the pruned table are the same, to float32 rounding for the tissue
    means (float32 in synth, ~1e4: derivatives within 2e-3 of its float32 differences). Its
    dvars/std_dvars are not compared: synth does not scale to median 1000 and uses linear
    quartiles and another AR(1) denominator."""
    expansions = [c for c in synth_table if c.endswith(("_derivative1", "_power2"))]
    assert len(expansions) == 3 * len(EXPANDED)
    path = tmp_path / "confounds.tsv"
    write_tsv(path, synth_table.drop(columns=expansions))  # through the TSV, as a lab's file would be
    ours, how = cc.complete(read_tsv(path), list(synth_table.columns))
    assert set(how) == set(expansions)
    assert ours[expansions].iloc[0].isna().sum() == 2 * len(EXPANDED)  # the derivative columns' first row
    for base in EXPANDED:
        got, ref = ours.iloc[1:], synth_table.iloc[1:]
        atol = 0.0 if base.startswith(("trans", "rot")) else 2e-3  # motion: float64 in synth
        deriv, power = f"{base}_derivative1", f"{base}_power2"
        abs_err, rel_err = _agreement(got[deriv].to_numpy(), ref[deriv].to_numpy())
        print(f"{deriv} vs trialmri synth's table: max abs {abs_err:.2e}, max rel {rel_err:.2e}")
        np.testing.assert_allclose(got[deriv], ref[deriv], rtol=1e-12, atol=atol)
        np.testing.assert_allclose(got[power], ref[power], rtol=1e-6 if atol else 1e-12)
        np.testing.assert_allclose(np.sqrt(got[f"{deriv}_power2"]), np.abs(ref[deriv]), rtol=1e-12, atol=atol)
