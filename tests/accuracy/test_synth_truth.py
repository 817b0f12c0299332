"""`trialmri synth`'s planted truth in its data: connectivity in the BOLD, the recorded distortions,
the same bytes from the same seed."""

import json

import nibabel as nib
import numpy as np
import pytest
from helpers import digests

from trialmri.synth import Distortions, get_preset, synthesize

SMALL = dict(dti_groups={"ketamine": 1, "vehicle": 1}, rs_groups={"HV": 1, "TRD": 1},
             rs_missing={"HV": 0, "TRD": 1}, bold_volumes=24, dwi_shape=(40, 44, 30), n_directions=6)


def test_planted_connectivity_shows_in_the_bold():
    """Seed-to-target correlation, after regressing the table's confounds, follows the planted rho."""
    from trialmri.grids import Grid
    from trialmri.synth import bold, design
    from trialmri.templates import brain_box_mm, mni_on_grid

    grid = Grid.covering(*brain_box_mm(8.0), 4.0)
    tissue = mni_on_grid(grid)
    inv = np.linalg.inv(grid.affine)

    def region(data, centres):
        means = []
        for c in centres:
            i, j, k = np.rint(inv[:3, :3] @ np.asarray(c, float) + inv[:3, 3]).astype(int)
            means.append(data[i - 1:i + 2, j - 1:j + 2, k - 1:k + 2].reshape(-1, data.shape[-1]).mean(0))
        return np.mean(means, axis=0)

    measured = {}
    for rho_dc in (0.0, 0.8):
        rho = {seed: 0.3 for seed in design.SEEDS} | {"DC": rho_dc}
        data, conf = bold.simulate_session(tissue, grid, 400, 2.5, rho, design.SEEDS, design.TARGETS,
                                           np.random.default_rng(3))
        X = np.column_stack([np.ones(len(conf)), conf[["trans_x", "trans_y", "trans_z", "rot_x", "rot_y",
                                                       "rot_z", "white_matter", "csf", "global_signal"]].to_numpy()])
        clean = lambda y: y - X @ np.linalg.lstsq(X, y, rcond=None)[0]  # noqa: E731
        seed = clean(region(data, design.SEEDS["DC"]))
        target = clean(region(data, design.TARGETS["DC"]["centres"]))
        measured[rho_dc] = np.corrcoef(seed, target)[0, 1]
        fd = conf["framewise_displacement"].to_numpy()
        assert np.isnan(fd[0]) and np.all(fd[1:] >= 0)
    assert abs(measured[0.0]) < 0.2
    assert measured[0.8] - measured[0.0] > 0.3


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    preset = get_preset("tiny", **SMALL)
    a = synthesize(tmp_path / "a", preset, seed=11)
    b = synthesize(tmp_path / "b", preset, seed=11)
    c = synthesize(tmp_path / "c", preset, seed=12)
    da, db, dc = digests(a), digests(b), digests(c)
    assert da == db
    dwi = [k for k in da if k.endswith("_dwi.nii.gz")]
    assert dwi and all(da[k] != dc[k] for k in dwi)


def test_distortion_switches_are_recorded_and_clean_data_are_exact(tmp_path):
    preset = get_preset("tiny", **SMALL)
    out = synthesize(tmp_path / "clean", preset, seed=5, distortions=Distortions(False, False, False, False))
    truth = json.loads((out / "truth.json").read_text())["dti"]
    assert truth["acquisition"]["distortions"] == {"susceptibility": False, "motion": False,
                                                   "eddy": False, "noise": False}
    sub = next(iter(truth["subjects"]))
    ses = truth["subjects"][sub]["sessions"]["pre"]
    assert "field_hz" not in ses and np.all(np.array(ses["series"]["AP"]["motion"]) == 0)
    ap = nib.load(out / f"sub-{sub}/ses-pre/dwi/sub-{sub}_ses-pre_dir-AP_dwi.nii.gz")
    pa = nib.load(out / f"sub-{sub}/ses-pre/dwi/sub-{sub}_ses-pre_dir-PA_dwi.nii.gz")
    assert ap.get_data_dtype() == np.float32  # noiseless data are not rounded
    np.testing.assert_array_equal(ap.get_fdata(), pa.get_fdata())  # no distortion: AP = PA
    with pytest.raises(FileExistsError, match="not empty"):
        synthesize(out, preset, seed=5)


def test_susceptibility_displaces_along_pe_with_the_recorded_field(tmp_path):
    """Per phase-encoding line, the centre of mass moves by sign(PE) x field x readout (voxels),
    intensity-weighted: the Jacobian keeps each line's total signal. PA ("j") moves +j, AP ("j-") -j."""
    preset = get_preset("tiny", **SMALL)
    clean = synthesize(tmp_path / "clean", preset, seed=5, distortions=Distortions(False, False, False, False))
    warped = synthesize(tmp_path / "warped", preset, seed=5, distortions=Distortions(True, False, False, False))
    truth = json.loads((warped / "truth.json").read_text())["dti"]
    readout = truth["acquisition"]["total_readout_time_s"]
    field = nib.load(warped / truth["subjects"]["d01"]["sessions"]["pre"]["field_hz"]).get_fdata()
    name = "sub-d01/ses-pre/dwi/sub-d01_ses-pre_dir-{}_dwi.nii.gz"
    undistorted = nib.load(clean / name.format("AP")).get_fdata()[..., 0]
    vol = {d: nib.load(warped / name.format(d)).get_fdata()[..., 0] for d in ("AP", "PA")}
    j = np.arange(undistorted.shape[1])[None, :, None]
    total = undistorted.sum(axis=1)
    lines = (total > 0.3 * total.max()) & (undistorted[:, :2].sum(1) == 0) & (undistorted[:, -2:].sum(1) == 0)
    for d, sign in (("AP", -1), ("PA", 1)):
        # 4 mm voxels, linear interpolation: line sums agree to ~0.2 % (median), a few % at worst
        assert np.median(np.abs(vol[d].sum(axis=1)[lines] / total[lines] - 1)) < 0.01
        shift = (vol[d] * j).sum(1)[lines] / vol[d].sum(1)[lines] - (undistorted * j).sum(1)[lines] / total[lines]
        expected = sign * readout * (undistorted * field).sum(1)[lines] / total[lines]
        slope = np.polyfit(expected, shift, 1)[0]
        assert np.corrcoef(expected, shift)[0, 1] > 0.85 and 0.9 < slope < 1.1, (d, slope)
