"""Motion and eddy-current correction of DWI volumes, after the susceptibility field is removed.

Conventions: every transform is a 4 x 4 matrix in **voxel-index coordinates** of the series' grid
mapping a point of the *target* (the mean b0, undistorted) to the point of the volume where that
tissue was imaged (the direction ``scipy.ndimage`` samples in). b0s are registered rigidly to the
mean b0; each diffusion-weighted volume affinely to its leave-one-out tensor prediction, iterated (both by
:mod:`trialmri.dwi.volume_fit`, mean squares); the mean DW volume's drift from the b0s rigidly by
ANTs (mutual information: the contrasts differ).
Eddy currents displace along the phase-encoding axis only, so each affine is split into a rigid
head motion and an eddy part that changes the PE row alone (offset, and the field's gradient along
each axis). bvecs (FSL voxel frame) turn by the rotation of that rigid part.

The eddy part is then constrained to the physics (FSL eddy's linear second-level model): its
gradient terms are linear in the diffusion gradient ``sign(PE) x b/1000 x g`` (zero for b = 0). A
term shared by every volume is not eddy current: ANTs' affine fit of a noisy volume to its smooth
prediction shrinks it by about 1 % in volume even when nothing moved (measured on clean 2 mm
data, det 0.986), and that shrink, through the Jacobian, raised MD by 1.5 %. The regression's
intercept takes it and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from trialmri.dwi.defaults import MIN_DW_VOLUMES, MOTION_ITERATIONS
from trialmri.dwi.gradients import is_b0, tensor_design
from trialmri.dwi import volume_fit
from trialmri.dwi.volume_registration import register

OUTLIER_Z = -4.0  # slice deficit in robust SD units (FSL eddy's --ol_nstd default 4)
OUTLIER_MIN_DROP = 0.10  # and at least 10 % below the prediction
REGION_MARGIN_VOX = 4  # voxels resampled around the registration mask while fitting
OUTLIER_MIN_VOXELS = 20  # slices with fewer brain voxels are not judged


def loo_predictions(signal: np.ndarray, bvals: np.ndarray, bvecs: np.ndarray) -> np.ndarray:
    """Each volume predicted by a log-linear tensor fitted to all the *other* volumes.

    ``signal`` is (voxels, n); bvecs (n, 3). One hat matrix for every voxel: the leave-one-out value
    of least squares is (ŷᵢ − hᵢᵢ yᵢ) / (1 − hᵢᵢ), so no fit is repeated.
    """
    x = tensor_design(bvals, bvecs)
    hat = x @ np.linalg.pinv(x)
    h = np.clip(np.diag(hat), 0.0, 0.99)
    y = np.log(np.maximum(signal, 1.0))
    return np.exp((y @ hat.T - h * y) / (1.0 - h)).astype(np.float32)


@dataclass
class Split:
    """An affine (voxel-index) as eddy ∘ rigid: ``rigid_mm`` 4 x 4 in mm along the index axes."""

    rigid_mm: np.ndarray
    eddy_gradient: np.ndarray  # (3,) ∂(PE displacement, mm)/∂(position, mm) along the index axes
    pe_shift_mm: float  # displacement along PE at the grid centre (motion + eddy offset)


def split_affine(matrix_vox: np.ndarray, spacing, pe_axis: int, centre_vox: np.ndarray) -> Split:
    """Rigid part from the non-PE rows (Procrustes), eddy part from the PE row."""
    s = np.diag([*spacing, 1.0])
    a = s @ matrix_vox @ np.linalg.inv(s)  # mm along index axes
    linear = a[:3, :3]
    other = [k for k in range(3) if k != pe_axis]
    u, _, vt = np.linalg.svd(linear[other])
    rows = u @ np.eye(2, 3) @ vt  # nearest orthonormal pair of rows
    rot = np.zeros((3, 3))
    rot[other[0]], rot[other[1]] = rows
    rot[pe_axis] = np.cross(rot[(pe_axis + 1) % 3], rot[(pe_axis + 2) % 3])
    eddy = linear @ rot.T  # identity except the PE row
    gradient = eddy[pe_axis] - np.eye(3)[pe_axis]
    centre = s[:3, :3] @ centre_vox
    moved = a[:3, :3] @ centre + a[:3, 3]  # where the centre goes
    rigid = np.eye(4)
    rigid[:3, :3] = rot
    rigid[:3, 3] = moved - rot @ centre  # PE component still holds the eddy offset
    return Split(rigid, gradient, float(moved[pe_axis] - centre[pe_axis]))


def compose(rigid_mm: np.ndarray, eddy_gradient: np.ndarray, spacing, pe_axis: int,
            centre_vox: np.ndarray) -> np.ndarray:
    """The voxel-index affine of :func:`split_affine`'s parts (its inverse): eddy ∘ rigid.

    The rigid part's image of the grid centre is kept; the eddy part scales and shears the PE
    coordinate about it.
    """
    s = np.diag([*spacing, 1.0])
    centre = s[:3, :3] @ centre_vox
    moved = rigid_mm[:3, :3] @ centre + rigid_mm[:3, 3]
    linear = np.eye(3)
    linear[pe_axis] += eddy_gradient
    linear = linear @ rigid_mm[:3, :3]
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = moved - linear @ centre
    return np.linalg.inv(s) @ a @ s


def constrain_eddy(transforms_vox: list, bvals: np.ndarray, bvecs: np.ndarray, pe_signs: np.ndarray, spacing,
                   pe_axis: int, centre_vox: np.ndarray) -> list:
    """DW transforms with their eddy gradient terms replaced by the linear eddy model's fit.

    Per DW volume the three PE-row gradient terms are regressed on ``[1, sign x b/1000 x g]``
    (``g`` the acquired bvec, ``sign`` the series' PE sign); the fit without the intercept replaces
    them. Rigid motion and the PE offset at ``centre_vox`` (the grid centre) are kept; b0 transforms
    are unchanged.
    """
    dw = np.flatnonzero(~is_b0(bvals))
    if len(dw) < MIN_DW_VOLUMES:
        raise ValueError(f"{len(dw)} diffusion-weighted volumes: the eddy-current model needs at least "
                         f"{MIN_DW_VOLUMES}")
    splits = [split_affine(transforms_vox[v], spacing, pe_axis, centre_vox) for v in dw]
    gradients = np.array([sp.eddy_gradient for sp in splits])
    drive = (np.asarray(pe_signs, float)[dw] * bvals[dw] / 1000.0)[:, None] * bvecs[dw]
    design = np.hstack([np.ones((len(dw), 1)), drive])
    coef, *_ = np.linalg.lstsq(design, gradients, rcond=None)
    fitted = drive @ coef[1:]
    out = [np.array(m) for m in transforms_vox]
    for k, v in enumerate(dw):
        out[v] = compose(splits[k].rigid_mm, fitted[k], spacing, pe_axis, centre_vox)
    return out


def rotate_bvecs(bvecs: np.ndarray, transforms_vox: list, spacing, flip_x: bool, pe_axis: int) -> np.ndarray:
    """bvecs (n, 3, FSL voxel frame) turned into the target frame: g' = Rᵀ g per volume.

    R is the head rotation of :func:`split_affine` (the eddy shear along PE does not turn the
    gradient). ``flip_x``: FSL's frame has x reversed relative to the index axes when the image
    affine has a positive determinant (neurological storage).
    """
    f = np.diag([-1.0, 1.0, 1.0]) if flip_x else np.eye(3)
    out = np.array(bvecs, float)
    for v, matrix in enumerate(transforms_vox):
        if np.linalg.norm(out[v]) > 0:
            rot = split_affine(matrix, spacing, pe_axis, np.zeros(3)).rigid_mm[:3, :3]
            out[v] = f @ rot.T @ f @ out[v]
    return out


def slice_outliers(observed: np.ndarray, predicted: np.ndarray, mask: np.ndarray, dw: np.ndarray) -> list:
    """Signal-dropout slices (axis k) of diffusion-weighted volumes: [(volume, slice, z, drop)].

    ``observed``/``predicted`` are (x, y, z, n) on the target grid. Per slice, the relative deficit
    mean(obs − pred) / mean(pred) is standardised across the DW volumes (median, 1.4826 MAD).
    """
    counts = mask.sum(axis=(0, 1))
    judged = np.flatnonzero(counts >= OUTLIER_MIN_VOXELS)
    m = mask[..., judged][..., None]
    obs = (observed[:, :, judged] * m).sum(axis=(0, 1))  # (slices, n)
    pred = (predicted[:, :, judged] * m).sum(axis=(0, 1))
    drop = (obs - pred) / np.maximum(pred, 1e-6)
    d = drop[:, dw]
    med = np.median(d, axis=1, keepdims=True)
    mad = 1.4826 * np.median(np.abs(d - med), axis=1, keepdims=True)
    z = (d - med) / np.maximum(mad, 1e-3)
    hits = np.argwhere((z < OUTLIER_Z) & (d < -OUTLIER_MIN_DROP))
    volumes = np.flatnonzero(dw)
    return [(int(volumes[j]), int(judged[i]), float(z[i, j]), float(d[i, j])) for i, j in hits]


def resample_stack(unwarped: np.ndarray, transforms_vox: list, volumes, region: np.ndarray) -> np.ndarray:
    """``volumes`` of ``unwarped`` seen from the target, out(y) = volume(T_v · y) (trilinear, 0
    outside the volume), computed at the voxels of ``region`` (x, y, z bool) only, 0 elsewhere:
    (x, y, z, len(volumes)), float32."""
    points = np.argwhere(region).T.astype(float)
    out = np.zeros((*region.shape, len(volumes)), np.float32)
    for k, v in enumerate(volumes):
        matrix = transforms_vox[v]
        coords = matrix[:3, :3] @ points + matrix[:3, 3:4]
        out[region, k] = ndimage.map_coordinates(unwarped[..., v], coords, order=1, mode="constant", cval=0.0)
    return out


def masked_mean_squares(fixed: np.ndarray, moving: np.ndarray, matrix_vox: np.ndarray, points: np.ndarray) -> float:
    """Mean squared difference at ``points`` (voxel indices, :func:`volume_fit.sample_points`) between ``fixed``
    and ``moving`` seen through ``matrix_vox`` (as :func:`resample_stack` sees it, linear interpolation)."""
    coords = matrix_vox[:3, :3] @ points.T + matrix_vox[:3, 3:4]
    values = ndimage.map_coordinates(moving, coords, order=1, mode="constant", cval=0.0)
    return float(np.mean((fixed[tuple(points.T)] - values) ** 2))


def register_volumes(unwarped: np.ndarray, bvals: np.ndarray, bvecs: np.ndarray, spacing, mask: np.ndarray,
                     flip_x: bool, pe_axis: int, pe_signs: np.ndarray, iterations: int = MOTION_ITERATIONS, progress=None):
    """Transforms (list of 4 x 4, voxel index) taking every volume of ``unwarped`` to the mean b0.

    ``unwarped`` (x, y, z, n) holds every series, already corrected for the susceptibility field.
    b0s: rigid to the first b0, then again to the mean of the aligned b0s. DW volumes: affine to
    their leave-one-out prediction from the current corrected stack (a fit that does not lower the
    masked mean squares is discarded: the volume keeps its start), their eddy part constrained
    to the linear model (:func:`constrain_eddy`; ``pe_signs`` per volume), ``iterations`` times.
    Returns (transforms, corrected stack, predictions, target b0).
    """
    n = unwarped.shape[-1]
    b0 = np.flatnonzero(is_b0(bvals))
    if len(b0) == 0:
        raise ValueError("no b0 volume (b ≤ 50 s/mm²): motion correction needs one as the target")
    dw = np.flatnonzero(~is_b0(bvals))
    current = [np.eye(4) for _ in range(n)]
    inside = mask > 0
    # what the fits read: the mask and a margin for the smoothing and the drift's motion
    region = ndimage.binary_dilation(inside, iterations=REGION_MARGIN_VOX)
    first = unwarped[..., b0[0]]
    for v in b0[1:]:
        current[v] = volume_fit.register(first, unwarped[..., v], spacing, "Rigid", mask=mask)
    target = resample_stack(unwarped, current, b0, region).mean(-1)
    for v in b0:
        current[v] = volume_fit.register(target, unwarped[..., v], spacing, "Rigid", initial=current[v], mask=mask)
    target = resample_stack(unwarped, current, b0, region).mean(-1)
    # DW volumes start from the b0 poses interpolated in acquisition order
    for v in dw:
        after = b0[b0 > v]
        before = b0[b0 < v]
        if len(before) and len(after):
            w = (v - before[-1]) / (after[0] - before[-1])
            current[v] = (1 - w) * current[before[-1]] + w * current[after[0]]
        else:
            current[v] = current[(before if len(before) else after)[-1 if len(before) else 0]].copy()
    points = volume_fit.sample_points(inside)  # the fit's own final points (every 2nd voxel of the mask)
    centre = (np.asarray(unwarped.shape[:3], float) - 1) / 2
    for it in range(iterations):
        corrected = resample_stack(unwarped, current, range(n), region)
        rotated = rotate_bvecs(bvecs, current, spacing, flip_x, pe_axis)
        predicted = np.array(corrected)
        predicted[inside] = loo_predictions(corrected[inside], bvals, rotated)
        for v in dw:
            moved = volume_fit.register(predicted[..., v], unwarped[..., v], spacing, "Affine", initial=current[v],
                             mask=mask)
            # the coarse level can move a volume to where the fine cost is higher than at its start (a
            # noisy prediction: one series alone, leave-one-out extrapolates from few directions):
            # keep the start unless the fit lowers the mean squares it minimises
            if masked_mean_squares(predicted[..., v], unwarped[..., v], moved, points) < \
                    masked_mean_squares(predicted[..., v], unwarped[..., v], current[v], points):
                current[v] = moved
        current = constrain_eddy(current, bvals, bvecs, pe_signs, spacing, pe_axis, centre)
        # Predictions only fix the DW volumes relative to each other: anchor their mean to the b0s
        mean_dw = resample_stack(unwarped, current, dw, region).mean(-1)
        drift = register(target, mean_dw, spacing, "Rigid", mask=mask, metric="mattes")
        for v in dw:
            current[v] = current[v] @ drift
        if progress is not None:
            progress(it)
    corrected = resample_stack(unwarped, current, range(n), region)
    rotated = rotate_bvecs(bvecs, current, spacing, flip_x, pe_axis)
    predicted = np.array(corrected)
    predicted[inside] = loo_predictions(corrected[inside], bvals, rotated)
    return current, corrected, predicted, target
