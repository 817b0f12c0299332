"""Denoising and seed maps on one synthetic session (synth's BOLD generator at 4 mm, 8 min): the
confounds removed, equality with nilearn's clean, censoring, and the planted connectivity recovered."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest

from trialmri.fc.confounds import load_session_confounds, too_few_volumes
from trialmri.fc.denoise import denoise_session
from trialmri.fc.denoise_files import denoise_files
from trialmri.fc.netcorr import netcorr
from trialmri.fc.netcorr_files import seed_maps, write_excluded
from trialmri.fc.seeds import roi_label_map
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.text_files import write_json
from trialmri.tables import read_tsv, write_tsv
from trialmri.qc.inputs import check_subject
from trialmri.synth import bold
from trialmri.synth.design import CONTROL_ROI, SEEDS, TARGETS
from trialmri.synth.trial import write_fmriprep_session
from trialmri.templates import brain_box_mm, mni_on_grid

N_T, TR, BAND = 192, 2.5, (0.01, 0.1)
RHO = 0.6  # planted seed-target latent correlation, every seed


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One synthetic session (the generator of `trialmri synth`, tiny 4 mm grid, 8 min at TR 2.5 s)
    in fMRIPrep layout, with the planted neural fluctuation kept aside."""
    root = tmp_path_factory.mktemp("fc")
    lo, hi = brain_box_mm(margin_mm=8.0)
    grid = Grid.covering(lo, hi, (4.0, 4.0, 4.0))
    tissue = mni_on_grid(grid)
    components: dict = {}
    data, confounds = bold.simulate_session(tissue, grid, N_T, TR, dict.fromkeys(SEEDS, RHO), SEEDS, TARGETS,
                                            np.random.default_rng(3), components)
    path = write_fmriprep_session(root, "01", "a", data, confounds, tissue["brain"] > 0.5, grid.affine, TR,
                                  np.float32)
    labels, table = roi_label_map({**SEEDS, **CONTROL_ROI}, 3.5, grid)
    save_nifti(root / "rois.nii.gz", labels, grid.affine, np.int16)
    write_tsv(root / "rois.tsv", table[["index", "name"]])
    neural = np.zeros((int(np.prod(grid.shape)), N_T), np.float32)
    neural[components["voxels"]] = components["neural"]
    mask = path.parent / path.name.replace("desc-preproc_bold", "desc-brain_mask")
    return {"root": root, "bold": path, "mask": mask, "grid": grid, "labels": labels,
            "table": table, "neural": neural.reshape(*grid.shape, N_T), "confounds": confounds}


def _denoise(session, strategy, name):
    out = session["root"] / name
    summary = denoise_files(session["bold"], strategy, out / "bold.nii.gz", out / "mask.nii.gz",
                            out / "censoring.tsv", mask_path=session["mask"])
    return summary, out


def _corr(a, b):
    a, b = a - a.mean(0), b - b.mean(0)
    return (a / np.linalg.norm(a, axis=0)).T @ (b / np.maximum(np.linalg.norm(b, axis=0), 1e-12))


def test_denoising_removes_the_mixed_in_confounds(session):
    from nilearn import signal

    strategy = DenoiseStrategy(fd_threshold_mm=None, std_dvars_threshold=None)
    summary, out = _denoise(session, strategy, "noscrub")
    assert summary["VolumesKept"] == N_T and summary["Excluded"] is None
    mask = np.asarray(nib.load(out / "mask.nii.gz").dataobj) > 0
    cleaned = np.asarray(nib.load(out / "bold.nii.gz").dataobj)[mask].T.astype(float)
    conf = load_session_confounds(session["bold"], strategy).confounds.to_numpy()
    band = {"sampling_rate": 1 / TR, "high_pass": BAND[0], "low_pass": BAND[1], "copy": True}
    conf_f = signal.butterworth(signal.standardize_signal(conf, standardize=None, detrend=True), **band)
    raw = np.asarray(nib.load(session["bold"]).dataobj)[mask].T.astype(float)
    raw_f = signal.butterworth(signal.standardize_signal(raw, standardize=None, detrend=True), **band)
    before = np.abs(_corr(conf_f, raw_f)).max(axis=0)
    after = np.abs(_corr(conf_f, cleaned)).max(axis=0)
    assert np.median(before) > 0.3  # the confounds really are in the raw data
    assert after.max() < 1e-4  # and none is left in any voxel


@pytest.mark.parametrize("options", [{}, {"detrend": False, "band_pass_hz": None}])
def test_denoising_equals_nilearn_clean_voxel_by_voxel(session, options):
    """The one-matrix application of signal.clean gives what clean gives on the voxels themselves,
    with censoring (spline interpolation), band-pass, detrending and confounds all on; and with
    neither detrending nor filtering, where the voxel means pass through."""
    from nilearn import signal

    strategy = DenoiseStrategy(fd_threshold_mm=0.25, std_dvars_threshold=1.5, **options)
    confounds = load_session_confounds(session["bold"], strategy)
    assert 0 < N_T - confounds.n_kept < N_T // 2  # some volumes censored
    img = nib.load(session["bold"])
    mask = np.asarray(nib.load(session["mask"]).dataobj) > 0
    ours = denoise_session(img, mask, confounds, strategy, TR)
    voxels = np.random.default_rng(0).choice(int(mask.sum()), 400, replace=False)
    raw = np.asarray(img.dataobj, dtype=np.float64)[mask][voxels].T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = signal.clean(raw, confounds=confounds.confounds.to_numpy(), sample_mask=confounds.sample_mask,
                              **strategy.clean_kwargs(TR))
    scale = direct.std(axis=0)
    np.testing.assert_allclose((ours[:, voxels] - direct) / scale, 0, atol=2e-5)


def test_censoring_drops_high_motion_volumes(session):
    strategy = DenoiseStrategy(fd_threshold_mm=0.1, std_dvars_threshold=None, min_segment=0)
    summary, out = _denoise(session, strategy, "scrub")
    fd = session["confounds"]["framewise_displacement"].to_numpy()
    expected = int((~(fd > 0.1)).sum())  # NaN (first volume) is kept, as in fMRIPrep/nilearn
    assert 0 < expected < N_T and summary["VolumesKept"] == expected
    assert nib.load(out / "bold.nii.gz").shape[3] == expected
    table = read_tsv(out / "censoring.tsv")
    assert table["kept"].sum() == expected and not table.loc[fd > 0.1, "kept"].any()
    strict = DenoiseStrategy(fd_threshold_mm=0.1, std_dvars_threshold=None, min_segment=0, min_volumes=N_T)
    reason = too_few_volumes(load_session_confounds(session["bold"], strict), strict)
    assert reason.startswith(f"{expected} of {N_T} volumes left") and "min_volumes" in reason


def test_planted_seed_connectivity_is_recovered(session):
    """Mean z in each seed's planted target region matches the noise-free planted map (the synthetic
    neural fluctuation alone, correlated the same way) within 3 SD of region-mean z where nothing is
    planted (spheres of the same size > 20 mm from every seed and target), and stands out from it."""
    summary, out = _denoise(session, DenoiseStrategy(), "default")
    maps, mask, _ = seed_maps(out / "bold.nii.gz", session["root"] / "rois.nii.gz", out / "mask.nii.gz")
    kept = read_tsv(out / "censoring.tsv")["kept"].to_numpy(bool)
    labels, table, grid = session["labels"], session["table"], session["grid"]
    planted = netcorr(session["neural"][mask].T[kept], labels[mask], list(table["index"]), list(table["name"]))
    xyz = grid.world().reshape(3, -1)[:, mask.ravel()]
    centres = np.array([c for group in (*SEEDS.values(), *CONTROL_ROI.values(),
                                        *(t["centres"] for t in TARGETS.values())) for c in group], float)
    far = np.min(np.linalg.norm(xyz.T[:, None, :] - centres[None], axis=2), axis=1) > 20
    rng = np.random.default_rng(0)
    null_centres = xyz.T[far][rng.choice(int(far.sum()), 300, replace=False)]
    null_regions = [np.linalg.norm(xyz.T - c, axis=1) <= 6 for c in null_centres]
    for k, seed in enumerate(SEEDS):
        target = np.zeros(mask.sum(), bool)
        for c in TARGETS[seed]["centres"]:
            target |= np.linalg.norm(xyz.T - np.array(c, float), axis=1) <= 6
        measured, expected = maps.result.z[k][target].mean(), planted.z[k][target].mean()
        null = np.array([maps.result.z[k][r].mean() for r in null_regions])
        tol = 3 * null.std()
        assert abs(measured - expected) < tol, (seed, measured, expected, tol)
        assert measured - null.mean() > tol, (seed, measured, null.mean(), tol)
        assert expected > 0.2  # the planted connectivity is there to be found


def test_input_check_lists_a_session_left_with_too_few_volumes(session):
    files = {"bold_a_bold": str(session["bold"]),
             "bold_a_confounds": str(session["bold"]).replace(
                 "space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz", "desc-confounds_timeseries.tsv")}
    ok = check_subject("01", files, DenoiseStrategy())
    assert (ok["status"] == "pass").all()
    strict = check_subject("01", files, DenoiseStrategy(fd_threshold_mm=0.05))
    row = strict[strict["check"] == "volumes after censoring"].iloc[0]
    assert row["status"] == "fail" and "volumes left after censoring" in row["message"]


def test_missing_confound_column_is_an_error_naming_the_file(session, tmp_path):
    func = tmp_path / "sub-01" / "ses-a" / "func"
    func.mkdir(parents=True)
    bold_path = func / session["bold"].name
    bold_path.symlink_to(session["bold"])
    write_tsv(func / "sub-01_ses-a_task-rest_desc-confounds_timeseries.tsv",
              session["confounds"].drop(columns=["std_dvars"]))
    write_json(func / "sub-01_ses-a_task-rest_desc-confounds_timeseries.json", {})
    with pytest.raises(ValueError, match=r"desc-confounds_timeseries.tsv: no column\(s\) std_dvars"):
        load_session_confounds(bold_path, DenoiseStrategy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_session_confounds(bold_path, DenoiseStrategy(fd_threshold_mm=None, std_dvars_threshold=None))


@pytest.mark.parametrize("min_volumes, reason", [(60, "24 of 24 volumes left after censoring"),
                                                 (10, "too few for the [0.01, 0.1] Hz band-pass filter")])
def test_a_short_session_is_excluded_with_its_reason_not_a_crash(tmp_path, min_volumes, reason):
    lo, hi = brain_box_mm(margin_mm=8.0)
    grid = Grid.covering(lo, hi, (8.0, 8.0, 8.0))
    tissue = mni_on_grid(grid)
    data, confounds = bold.simulate_session(tissue, grid, 24, TR, dict.fromkeys(SEEDS, RHO), SEEDS, TARGETS,
                                            np.random.default_rng(0))
    path = write_fmriprep_session(tmp_path, "01", "a", data, confounds, tissue["brain"] > 0.5, grid.affine, TR,
                                  np.float32)
    strategy = DenoiseStrategy(fd_threshold_mm=None, std_dvars_threshold=None, motion="basic", wm_csf=None,
                               min_volumes=min_volumes)
    summary = denoise_files(path, strategy, tmp_path / "d.nii.gz", tmp_path / "m.nii.gz", tmp_path / "c.tsv")
    assert reason in summary["Excluded"]
    z_paths = {"VS": tmp_path / "VS.nii.gz"}
    write_excluded(["VS", "V1"], tmp_path / "m.nii.gz", z_paths, tmp_path / "netcc.tsv")
    assert np.isnan(np.asarray(nib.load(z_paths["VS"]).dataobj)).all()
    assert read_tsv(tmp_path / "netcc.tsv")[["VS", "V1"]].isna().all().all()
