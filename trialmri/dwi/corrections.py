"""Native DWI corrections of one session: susceptibility field, motion, eddy currents, one resampling.

Steps (SPEC "DTI arm" 1-2, the native engine):

1. acquisition parameters from each series' JSON (PE axis and sign, readout time);
2. the field from the first b0 of the "+" and the "−" series
   (:mod:`trialmri.dwi.susceptibility`);
3. every volume unwarped by the field (for registration only), then b0s rigid to the mean b0 and
   DW volumes affine to their leave-one-out prediction (:mod:`trialmri.dwi.motion_eddy`);
4. every volume resampled **once** from the raw data through the composed map
   target voxel → motion/eddy affine → field displacement along PE, times both Jacobians;
5. the two series combined: where their gradient tables match, each pair is averaged with weights
   equal to each series' Jacobian (a stretched series sampled that tissue more densely); otherwise
   the corrected series are concatenated. bvecs are rotated by each volume's rigid rotation.

When the reverse phase encoding is a b0-only series (a field map in ``fmap/``: no bval or bvec,
every volume a b0), it serves step 2 only: steps 3-4 run on the full DWI series alone, and the
output is that series (its own gradient table, rotated); nothing is combined.

Motion parameters are reported in world mm / degrees about the grid centre (``R = Rz Ry Rx``), with
the eddy offset (linear in the diffusion gradient, fitted across volumes) taken out of the PE
translation. Eddy terms are in Hz and Hz/mm along the index axes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from trialmri import transforms
from trialmri.bids.fieldmaps import require_dwi
from trialmri.dwi import motion_eddy, susceptibility
from trialmri.dwi.acqparams import Acquisition, check_pair, read_acquisition
from trialmri.dwi.defaults import MIN_DW_VOLUMES, MOTION_ITERATIONS
from trialmri.dwi.gradients import is_b0, series_gradients
from trialmri.dwi.mask import brain_mask
from trialmri.dwi.tensor_files import load_dwi
from trialmri.errors import InputError
from trialmri.image_inputs import check_grid, read_image

MOTION_COLUMNS = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
EDDY_COLUMNS = ["eddy_offset_hz", "eddy_x_hz_per_mm", "eddy_y_hz_per_mm", "eddy_z_hz_per_mm"]
REGISTRATION_EDGE_VOX = 2  # the metric ignores voxels this close to the field of view's edge


@dataclass
class SeriesData:
    name: str
    data: np.ndarray  # (x, y, z, n) float32
    bvals: np.ndarray
    bvecs: np.ndarray  # (n, 3), FSL voxel frame
    acq: Acquisition
    b0_only: bool = False  # a reverse-PE field map (no gradient files): serves the field only


@dataclass
class Corrected:
    """Everything the workflow writes for a session."""

    dwi: np.ndarray
    bvals: np.ndarray
    bvecs: np.ndarray
    affine: np.ndarray
    field: susceptibility.FieldEstimate
    parameters: pd.DataFrame
    outliers: pd.DataFrame
    combination: str
    b0_before: dict
    b0_after: dict
    transforms: list  # per corrected volume (the full series in order): target voxel -> volume voxel
    field_only: list = dataclasses.field(default_factory=list)  # names of b0-only series (field only)


def load_b0_series(nii):
    """``(image, data (X, Y, Z, N) float64)`` of a b0-only series; a 3-D image is one b0."""
    image = read_image(nii, "b0 series")
    if image.ndim not in (3, 4):
        raise InputError(f"b0 series {nii}: a b0 series must be 3-D or 4-D, this image is {image.ndim}-D")
    data = image.get_fdata(dtype=np.float64)
    return image, data if data.ndim == 4 else data[..., None]


def load_series(named: dict) -> tuple[list[SeriesData], np.ndarray]:
    """``named``: series name → (nii, bval, bvec, json); bval and bvec None for a b0-only series.
    Returns the series and the shared affine."""
    require_dwi(named)
    out, first = [], None
    for name, (nii, bval, bvec, sidecar) in named.items():
        if bval is None and bvec is None:
            image, data = load_b0_series(nii)
            bvals, bvecs = series_gradients(None, None, data.shape[3])
        else:
            image, data, bvals, bvecs = load_dwi(nii, bval, bvec)
        if first is not None:
            check_grid(image, first[1], "series", nii, "series", first[0])  # reverse-PE series share one grid
        first = first or (nii, image)
        if not is_b0(bvals).any():
            raise InputError(f"{bval}: no b = 0 volume (b <= 50) in {nii}; the field and the motion reference need "
                             "one in each series")
        out.append(SeriesData(name, data.astype(np.float32), bvals, bvecs, read_acquisition(sidecar, image.shape),
                              b0_only=bval is None and bvec is None))
    check_pair([s.acq for s in out])
    return out, first[1].affine


def registration_mask(b0: np.ndarray) -> np.ndarray:
    """Brain mask of a b0, dilated one voxel, without the field of view's edge."""
    mask = ndimage.binary_dilation(brain_mask(b0), iterations=1)
    e = REGISTRATION_EDGE_VOX
    inner = np.zeros(mask.shape, bool)
    inner[e:-e, e:-e, e:-e] = True
    return mask & inner


def series_first_b0(series: SeriesData) -> np.ndarray:
    """The series' first b0: the field is estimated from the first b0 of each direction.

    Averaging a series' b0s first needs them aligned, and they carry the field in scanner space
    while the head moves, so a rigid alignment leaves residue that the field then absorbs
    (measured: the pair's mismatch fell 64 % instead of 84 % on noise-free tiny data).
    """
    return series.data[..., np.flatnonzero(is_b0(series.bvals))[0]]  # load_series: every series has one


def resample_series(series: SeriesData, transforms_vox: list, displacement: np.ndarray):
    """Every volume of ``series`` on the target grid through its motion/eddy affine then the field.

    Returns (images, weights), each (x, y, z, n): the images are Jacobian-modulated (field and
    affine); the weight is the series' field Jacobian at the sampled point (used to combine series).
    """
    acq = series.acq
    grid = np.indices(series.data.shape[:3], dtype=np.float64)
    field_jacobian = susceptibility.jacobian(displacement, acq.pe_axis, acq.pe_sign)
    images = np.empty(series.data.shape, np.float32)
    weights = np.empty(series.data.shape, np.float32)
    for v, matrix in enumerate(transforms_vox):
        at = transforms.apply(matrix, grid)
        shift = ndimage.map_coordinates(displacement, at, order=1, mode="nearest")
        jac = np.maximum(ndimage.map_coordinates(field_jacobian, at, order=1, mode="nearest"), 0.0)
        at[acq.pe_axis] += acq.pe_sign * shift
        value = ndimage.map_coordinates(series.data[..., v], at, order=1, mode="constant", cval=0.0)
        images[..., v] = value * jac * abs(np.linalg.det(matrix[:3, :3]))
        weights[..., v] = jac
    return images, weights


def gradient_tables_match(series: list[SeriesData]) -> bool:
    a, b = series
    if a.bvals.shape != b.bvals.shape or not np.allclose(a.bvals, b.bvals, atol=5.0):
        return False
    return bool(np.all(np.abs(np.abs((a.bvecs * b.bvecs).sum(1)) - (np.linalg.norm(a.bvecs, axis=1) ** 2)) < 1e-3))


def motion_table(series: list[SeriesData], mats: list, affine: np.ndarray, spacing) -> pd.DataFrame:
    """Per volume: rigid motion (world, about the grid centre) and eddy terms; see module docstring."""
    acq = series[0].acq
    axis = acq.pe_axis
    shape = series[0].data.shape[:3]
    centre_vox = (np.asarray(shape, float) - 1) / 2
    rows, offsets_mm, design, labels = [], [], [], []
    start = 0
    for s in series:
        hz_per_mm = s.acq.pe_sign * s.acq.readout_s * spacing[axis]  # mm of PE shift per Hz
        for v in range(s.data.shape[-1]):
            split = motion_eddy.split_affine(mats[start + v], spacing, axis, centre_vox)
            rows.append((s, v, split, hz_per_mm))
            offsets_mm.append(split.pe_shift_mm)
            design.append(hz_per_mm * s.bvals[v] / 1000.0 * s.bvecs[v])
            labels.append(s.name)
        start += s.data.shape[-1]
    # PE shift at the centre = motion (a drift per series) + eddy offset (gains · b g, in Hz)
    series_dummies = pd.get_dummies(pd.Series(labels)).to_numpy(float)
    x = np.hstack([series_dummies, np.array(design)])
    coef, *_ = np.linalg.lstsq(x, np.array(offsets_mm), rcond=None)
    eddy_offset_mm = np.array(design) @ coef[series_dummies.shape[1]:]
    scale = np.diag(spacing)
    world = np.eye(4)
    world[:3, :3] = affine[:3, :3] @ np.linalg.inv(scale)
    world[:3, 3] = affine[:3, 3]
    centre_world = transforms.apply(affine, centre_vox.reshape(3, 1)).ravel()
    table = []
    for (s, v, split, hz_per_mm), eddy_mm in zip(rows, eddy_offset_mm):
        rigid = split.rigid_mm.copy()
        rigid[axis, 3] -= eddy_mm
        params = transforms.rigid_params(world @ rigid @ np.linalg.inv(world), centre_world)
        table.append({"series": s.name, "volume": v, "bval": float(s.bvals[v]),
                      **dict(zip(MOTION_COLUMNS, [*params[:3], *np.rad2deg(params[3:])])),
                      "eddy_offset_hz": eddy_mm / hz_per_mm,
                      **{c: g / hz_per_mm for c, g in zip(EDDY_COLUMNS[1:], split.eddy_gradient)}})
    return pd.DataFrame(table)


def correct_session(named: dict, iterations: int = MOTION_ITERATIONS, progress=None) -> Corrected:
    """Correct one session's reverse-PE pair; ``named``: series name → (nii, bval, bvec, json), with
    bval and bvec None for a b0-only series (it gives the field; the other series is corrected alone)."""
    say = progress or (lambda message: None)
    series, affine = load_series(named)
    n_dw = sum(int((~is_b0(s.bvals)).sum()) for s in series)
    if n_dw < MIN_DW_VOLUMES:  # checked before any computation (motion_eddy.constrain_eddy needs them)
        raise InputError(f"{', '.join(str(v[0]) for v in named.values())}: {n_dw} diffusion-weighted volume(s) "
                         f"(b > 50) in all; the eddy-current model needs at least {MIN_DW_VOLUMES}")
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    flip_x = np.linalg.det(affine[:3, :3]) > 0
    by_sign = {s.acq.pe_sign: s for s in series}
    acq = by_sign[1].acq
    before = {s.name: series_first_b0(s) for s in series}
    say("field")
    field = susceptibility.estimate_field(before[by_sign[1].name], before[by_sign[-1].name], acq.pe_axis,
                                          acq.readout_s)
    field_only = [s for s in series if s.b0_only]
    series = [s for s in series if not s.b0_only]  # motion, eddy, resampling: the full DWI series
    unwarped = np.concatenate([susceptibility.unwarp(s.data, field.displacement_vox, s.acq.pe_axis, s.acq.pe_sign)
                               for s in series], axis=-1)
    bvals = np.concatenate([s.bvals for s in series])
    bvecs = np.concatenate([s.bvecs for s in series])
    mask = registration_mask(unwarped[..., np.flatnonzero(is_b0(bvals))].mean(-1))
    say("motion and eddy")
    mats, corrected, predicted, _ = motion_eddy.register_volumes(
        unwarped, bvals, bvecs, spacing, mask, flip_x, acq.pe_axis,
        np.concatenate([np.full(len(s.bvals), s.acq.pe_sign) for s in series]), iterations,
        progress=lambda it: say(f"motion and eddy: iteration {it + 1} of {iterations}"))
    rotated = motion_eddy.rotate_bvecs(bvecs, mats, spacing, flip_x, acq.pe_axis)
    parameters = motion_table(series, mats, affine, spacing)
    hits = motion_eddy.slice_outliers(corrected, predicted, brain_mask(predicted[..., is_b0(bvals)].mean(-1)),
                                      ~is_b0(bvals))
    parameters["outlier"] = False
    for volume, *_ in hits:
        parameters.loc[volume, "outlier"] = True
    outliers = pd.DataFrame([{"series": parameters.at[v, "series"], "volume": int(parameters.at[v, "volume"]),
                              "slice": k, "z": z, "drop": drop} for v, k, z, drop in hits],
                            columns=["series", "volume", "slice", "z", "drop"])
    say("resampling")
    starts = np.cumsum([0] + [s.data.shape[-1] for s in series])
    resampled = [resample_series(s, mats[starts[k]:starts[k + 1]], field.displacement_vox)
                 for k, s in enumerate(series)]
    after = {s.name: images[..., is_b0(s.bvals)].mean(-1) for s, (images, _) in zip(series, resampled)}
    after.update({s.name: susceptibility.unwarp(s.data, field.displacement_vox, s.acq.pe_axis, s.acq.pe_sign)
                  .mean(-1) for s in field_only})
    if field_only:
        dwi, out_bvecs, out_bvals = resampled[0][0], rotated, bvals
        combination = (f"the {series[0].name} series alone (the {', '.join(s.name for s in field_only)} "
                       f"b0-only series gave the field only)")
    elif gradient_tables_match(series):
        n = series[0].data.shape[-1]
        (first, w1), (second, w2) = resampled
        total = w1 + w2
        dwi = np.where(total > 0, (first * w1 + second * w2) / np.maximum(total, 1e-6), 0.5 * (first + second))
        a, b = rotated[:n], rotated[n:]
        b = np.where(((a * b).sum(1) < 0)[:, None], -b, b)
        mean = a + b
        norm = np.linalg.norm(mean, axis=1, keepdims=True)
        out_bvecs = np.where(norm > 0, mean / np.maximum(norm, 1e-12), 0.0)
        out_bvals, combination = series[0].bvals, "Jacobian-weighted average of matching volume pairs"
    else:
        dwi, out_bvecs, out_bvals = np.concatenate([images for images, _ in resampled], -1), rotated, bvals
        combination = "concatenated (the series' gradient tables differ)"
    return Corrected(dwi.astype(np.float32), out_bvals, out_bvecs, affine, field, parameters, outliers,
                     combination, before, after, mats, [s.name for s in field_only])
