"""The DWI corrections' parts on arrays made here: leave-one-out prediction, affine split and
composition, the eddy model, slice dropout, the field objective's gradient."""

from __future__ import annotations


import numpy as np
from scipy import optimize

from trialmri import transforms
from trialmri.dwi import motion_eddy, susceptibility
from trialmri.dwi.gradients import tensor_design


def test_loo_prediction_equals_refitting_without_the_volume():
    rng = np.random.default_rng(0)
    bvals = np.r_[0, 0, np.full(12, 1000.0)]
    bvecs = np.r_[np.zeros((2, 3)), rng.normal(size=(12, 3))]
    bvecs[2:] /= np.linalg.norm(bvecs[2:], axis=1, keepdims=True)
    signal = rng.uniform(50, 500, (5, len(bvals)))
    loo = motion_eddy.loo_predictions(signal, bvals, bvecs)
    x = tensor_design(bvals, bvecs)
    for i in range(len(bvals)):
        keep = np.arange(len(bvals)) != i
        beta, *_ = np.linalg.lstsq(x[keep], np.log(signal[:, keep]).T, rcond=None)
        np.testing.assert_allclose(loo[:, i], np.exp(x[i] @ beta), rtol=1e-4)


def test_split_affine_recovers_rigid_and_eddy():
    spacing, centre, rigid, matrix = planted_affine()
    split = motion_eddy.split_affine(matrix, spacing, 1, centre)
    np.testing.assert_allclose(split.rigid_mm[:3, :3], rigid[:3, :3], atol=1e-9)
    np.testing.assert_allclose(split.eddy_gradient, [0.004, -0.01, 0.006], atol=1e-9)


def test_compose_inverts_split_affine():
    spacing, centre, _, matrix = planted_affine()
    split = motion_eddy.split_affine(matrix, spacing, 1, centre)
    np.testing.assert_allclose(motion_eddy.compose(split.rigid_mm, split.eddy_gradient, spacing, 1, centre), matrix,
                               atol=1e-9)


def test_eddy_model_keeps_planted_eddy_and_drops_a_shared_shrink():
    """Gradient terms linear in sign x b x g survive; a scaling common to all DW volumes does not."""
    rng = np.random.default_rng(3)
    spacing, centre = np.array([2.0, 2.0, 2.0]), np.array([20.0, 20.0, 15.0])
    s = np.diag([*spacing, 1.0])
    bvecs = np.vstack([np.zeros((2, 3)), rng.normal(size=(20, 3))])
    bvecs[2:] /= np.linalg.norm(bvecs[2:], axis=1, keepdims=True)
    bvals = np.r_[0, 0, np.full(20, 1000.0)]
    bvals, bvecs = np.r_[bvals, bvals], np.vstack([bvecs, bvecs])
    signs = np.r_[np.ones(22), -np.ones(22)]
    gains = rng.normal(0, 0.004, (3, 3))
    c = s[:3, :3] @ centre
    shrink = np.eye(4)  # 0.5 % along PE about the grid centre, in every DW volume
    shrink[1, 1], shrink[1, 3] = 0.995, 0.005 * c[1]
    mats, planted = [], []
    for v in range(len(bvals)):
        rigid = transforms.affine(rng.normal(0, 0.01, 3), rng.normal(0, 0.5, 3), centre_mm=c)
        eddy = np.eye(4)
        eddy[1, :3] += signs[v] * bvals[v] / 1000 * bvecs[v] @ gains
        eddy[1, 3] = -eddy[1, :3] @ c + c[1]  # eddy fields are zero at the centre
        planted.append(np.linalg.inv(s) @ eddy @ rigid @ s)
        mats.append(np.linalg.inv(s) @ (shrink if bvals[v] > 0 else np.eye(4)) @ eddy @ rigid @ s)
    out = motion_eddy.constrain_eddy(mats, bvals, bvecs, signs, spacing, 1, centre)
    for v in range(len(bvals)):
        np.testing.assert_allclose(out[v][:3, :3], planted[v][:3, :3], atol=1e-4)
        np.testing.assert_allclose(out[v][:3, 3], planted[v][:3, 3], atol=0.01)  # voxels
    dets = [np.linalg.det(m[:3, :3]) for m in mats[2:22]]
    assert np.mean(dets) < 0.996 and abs(np.mean([np.linalg.det(m[:3, :3]) for m in out]) - 1) < 1e-3


def test_dropout_slice_is_listed():
    rng = np.random.default_rng(1)
    predicted = rng.uniform(90, 110, (10, 10, 8, 20)).astype(np.float32)
    observed = predicted * rng.normal(1, 0.01, predicted.shape).astype(np.float32)
    observed[:, :, 5, 7] *= 0.5
    mask = np.ones((10, 10, 8), bool)
    dw = np.ones(20, bool)
    dw[0] = False
    hits = motion_eddy.slice_outliers(observed, predicted, mask, dw)
    assert [(v, k) for v, k, *_ in hits] == [(7, 5)]


def test_field_objective_gradient_is_exact():
    rng = np.random.default_rng(2)
    plus, minus = rng.uniform(0, 1, (2, 6, 5, 9))
    d0 = rng.normal(0, 0.3, plus.shape).ravel()
    err = optimize.check_grad(lambda d: susceptibility.objective(d, plus, minus, 0.1)[0],
                              lambda d: susceptibility.objective(d, plus, minus, 0.1)[1], d0, epsilon=1e-6)
    assert err < 1e-4 * np.linalg.norm(susceptibility.objective(d0, plus, minus, 0.1)[1])


def planted_affine():
    """A voxel-index affine = eddy (PE = j) ∘ rigid, with its parts."""
    spacing, centre = np.array([2.0, 2.0, 2.5]), np.array([20.0, 25.0, 15.0])
    s = np.diag([*spacing, 1.0])
    rigid = transforms.affine((0.02, -0.015, 0.01), (0.5, -0.8, 0.3), centre_mm=s[:3, :3] @ centre)
    eddy = np.eye(4)
    eddy[1, :3] += [0.004, -0.01, 0.006]
    eddy[1, 3] = 0.4
    return spacing, centre, rigid, np.linalg.inv(s) @ eddy @ rigid @ s
