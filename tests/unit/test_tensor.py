"""Weighted least-squares tensor fit: planted tensors, impossible voxels, a real DWI vs MRtrix3."""

from __future__ import annotations


import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from helpers import BIN, run
from trialmri.dwi.gradients import read_fsl_gradients
from trialmri.dwi.mask import brain_mask, mean_b0
from trialmri.dwi.tensor import fit_wls
from trialmri.synth.dwi import gradient_table


def planted(n: int, seed: int = 0):
    """Signals of ``n`` random tensors (S0 = 1000, b = 1000) with their true eigenvalues (n, 3)."""
    rng = np.random.default_rng(seed)
    bvals, bvecs = gradient_table(3, 30, 1000.0)
    evals = rng.uniform(0.1e-3, 3e-3, (n, 3))
    rot = Rotation.random(n, random_state=seed).as_matrix()
    tensors = np.einsum("vij,vj,vkj->vik", rot, evals, rot)
    signal = 1000.0 * np.exp(-bvals * np.einsum("ni,vij,nj->vn", bvecs, tensors, bvecs))
    return signal, bvals, bvecs, np.sort(evals, axis=1)[:, ::-1]


def test_noiseless_tensors_recovered_to_1e6():
    signal, bvals, bvecs, evals = planted(4000)
    fit = fit_wls(signal.reshape(20, 20, 10, -1), bvals, bvecs)
    md = evals.mean(1)
    fa = np.sqrt(1.5 * ((evals - md[:, None]) ** 2).sum(1) / (evals**2).sum(1))
    assert np.max(np.abs(fit.md.ravel() - md) / md) < 1e-6
    assert np.max(np.abs(fit.fa.ravel() - fa)) < 1e-6
    assert np.max(np.abs(fit.ad.ravel() - evals[:, 0]) / md) < 1e-6
    assert np.max(np.abs(fit.rd.ravel() - evals[:, 1:].mean(1)) / md) < 1e-6
    assert fit.counts["n_fitted"] == 4000 and fit.counts["negative_eigenvalue"] == 0


def test_impossible_voxels_are_nan_and_counted_by_reason():
    # 3 b0, 4 directions in the x-y plane, 6 general directions
    in_plane = np.array([[1, 0, 0], [0, 1, 0], [np.sqrt(.5), np.sqrt(.5), 0], [np.sqrt(.5), -np.sqrt(.5), 0]])
    general = gradient_table(0, 6, 1000.0)[1]
    bvecs = np.vstack([np.zeros((3, 3)), in_plane, general])
    bvals = np.array([0.0] * 3 + [1000.0] * 10)
    signal = np.tile(1000.0 * np.exp(-1000.0 * 0.8e-3), (5, 13))
    signal[:, :3] = 1000.0
    signal[1] = 0.0                      # no signal at all
    signal[2, 3:] = 0.0                  # only the 3 b0s left: too few volumes
    signal[3, 7:] = 0.0                  # b0s and in-plane directions: Dzz undetermined
    signal[4, 12] = 0.0                  # one volume lost: still fitted, without it
    mask = np.ones((5, 1, 1), bool)
    fit = fit_wls(signal.reshape(5, 1, 1, 13), bvals, bvecs, mask)
    md = fit.md.ravel()
    assert np.isfinite(md[[0, 4]]).all() and np.isnan(md[1:4]).all()
    assert md[4] == pytest.approx(0.8e-3, rel=1e-9)
    assert fit.counts == {"n_mask": 5, "n_fitted": 2, "no_signal": 1, "too_few_volumes": 1,
                          "rank_deficient": 1, "negative_eigenvalue": 0}


def test_outside_mask_is_zero_and_untouched():
    signal, bvals, bvecs, _ = planted(100)
    mask = np.zeros((10, 10, 1), bool)
    mask[2:5, 3:7] = True
    fit = fit_wls(signal.reshape(10, 10, 1, -1), bvals, bvecs, mask)
    assert np.all(fit.md[~mask] == 0) and np.all(fit.md[mask] > 0)
    assert fit.counts["n_mask"] == 12


def test_gradient_table_that_cannot_fit_is_refused():
    bvals = np.array([0.0, 1000, 1000, 1000])
    with pytest.raises(ValueError, match="non-collinear"):
        fit_wls(np.ones((1, 1, 1, 4)), bvals, np.vstack([np.zeros(3), np.eye(3)]))


def test_gradients_nx3_accepted_nan_refused(tmp_path):
    (tmp_path / "b.bval").write_text("0 1000 1000 1000\n")
    (tmp_path / "v.bvec").write_text("0 0 0\n1 0 0\n0 1 0\n0 0 1\n")
    bvals, bvecs = read_fsl_gradients(tmp_path / "b.bval", tmp_path / "v.bvec")
    assert bvecs.shape == (4, 3) and np.allclose(bvecs[1:], np.eye(3))
    (tmp_path / "n.bvec").write_text("nan nan nan\n1 0 0\n0 1 0\n0 0 1\n")
    with pytest.raises(ValueError, match=r"n\.bvec: non-finite b-vector for volume\(s\) \[0\]"):
        read_fsl_gradients(tmp_path / "b.bval", tmp_path / "n.bvec")


def test_brain_mask_finds_the_bright_ball():
    grid = np.indices((30, 30, 30)).astype(float)
    r = np.sqrt(((grid - 15) ** 2).sum(0))
    rng = np.random.default_rng(1)
    b0 = np.where(r < 10, 1000.0, 0.0) + np.abs(rng.normal(0, 30, r.shape))
    data = np.stack([b0, b0 * 0.4], axis=-1)
    mask = brain_mask(mean_b0(data, np.array([0.0, 1000.0])))
    truth = r < 10
    assert np.sum(mask & truth) / np.sum(mask | truth) > 0.95


def test_cli_names_the_bad_bvec_file(tmp_path):
    dipy_data = pytest.importorskip("dipy.data")
    dwi, bval, bvec = dipy_data.get_fnames(name="small_64D")
    proc = run([BIN / "trialmri", "tensor", "--dwi", dwi, "--bval", bval, "--bvec", bvec,
                "--out-prefix", tmp_path / "x"], check=False)
    assert proc.returncode == 2
    assert f"{bvec}: non-finite b-vector" in proc.stderr and "0 0 0" in proc.stderr
    assert not list(tmp_path.iterdir())
