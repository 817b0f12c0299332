"""DWI corrections from and to files: the workflow's session step and ``trialmri topup``."""

from __future__ import annotations

import numpy as np

from trialmri.bids.derivatives import map_sidecar
from trialmri.dwi import correction_plots, susceptibility
from trialmri.dwi.corrections import correct_session
from trialmri.dwi.defaults import MOTION_ITERATIONS
from trialmri.dwi.gradients import write_fsl_gradients
from trialmri.dwi.registration import ants_version
from trialmri.errors import InputError
from trialmri.image_inputs import check_grid, read_image
from trialmri.io import save_nifti
from trialmri.text_files import write_json
from trialmri.tables import write_tsv

PE_LETTERS = "ijk"


def correct_session_files(named: dict, outputs: dict, iterations: int = MOTION_ITERATIONS, title: str = "",
                          progress=None):
    """Correct one session (``named``: series → (nii, bval, bvec, json)) and write ``outputs``.

    Keys: dwi, bval, bvec, sidecar, field (Hz), displacement (mm, "+" series), motion, outliers,
    field_figure, motion_figure. A b0-only series (bval and bvec None: the reverse-PE b0s of
    ``fmap/``) gives the field only; the sidecar then names it under ``ReversePhaseEncoding`` (the
    sidecar of two full series is as before: no such key).
    """
    result = correct_session(named, iterations=iterations, progress=progress)
    layout = {"ReversePhaseEncoding": {
        "Layout": "b0-only series in fmap/: the field only; the DWI series corrected alone",
        "B0Series": [named[name][0] for name in result.field_only]}} if result.field_only else {}
    f = result.field
    spacing = np.linalg.norm(result.affine[:3, :3], axis=0)
    save_nifti(outputs["dwi"], result.dwi, result.affine, description="trialmri corrected DWI")
    write_fsl_gradients(outputs["bval"], outputs["bvec"], result.bvals, result.bvecs)
    save_nifti(outputs["field"], f.field_hz, result.affine, description="susceptibility field (Hz)")
    save_nifti(outputs["displacement"], f.displacement_vox * spacing[f.pe_axis], result.affine,
               description="PE displacement of the + series (mm)")
    write_tsv(outputs["motion"], result.parameters)
    write_tsv(outputs["outliers"], result.outliers)
    axis = PE_LETTERS[f.pe_axis]
    write_json(outputs["sidecar"], map_sidecar(
        "native", f"trialmri susceptibility + motion/eddy ({ants_version()})", [v[0] for v in named.values()],
        FieldConvention=f"the series with PhaseEncodingDirection '{axis}' is displaced by +field_hz x "
                        f"TotalReadoutTime voxels along {axis}, the '{axis}-' series by the opposite",
        TotalReadoutTime=f.readout_s, FieldMismatchRMS={"before": f.mismatch_before, "after": f.mismatch_after},
        Combination=result.combination, MotionIterations=iterations, MotionRegistration=MOTION_REGISTRATION, OutlierSlices=len(result.outliers),
        Resampling="once per volume: motion/eddy affine composed with the field displacement, trilinear, "
                   "Jacobian-modulated", **layout))
    correction_plots.field_figure(f.field_hz, result.b0_before, result.b0_after, f.pe_axis,
                                  outputs["field_figure"], title)
    correction_plots.motion_figure(result.parameters, outputs["motion_figure"], title)
    return result


MOTION_REGISTRATION = ("b0s rigid and DW volumes affine to their leave-one-out prediction: trialmri Gauss-Newton "
                       "on the mean squares; the mean DW volume's drift from the b0s: ANTs rigid, Mattes MI")


def topup_files(b0_plus_path, b0_minus_path, pe_axis: int, readout_s: float, out_prefix: str):
    """``trialmri topup``: field from a b0 pair (3-D, or 4-D averaged); writes P_field_hz and P_corrected.

    ``P_corrected.nii.gz`` holds the corrected "+" and "−" b0s as two volumes (in that order).
    """
    images = [read_image(p, option) for p, option in ((b0_plus_path, "--b0-pa"), (b0_minus_path, "--b0-ap"))]
    arrays = []
    for path, image, option in zip((b0_plus_path, b0_minus_path), images, ("--b0-pa", "--b0-ap")):
        data = image.get_fdata(dtype=np.float32)
        if data.ndim == 4:
            data = data.mean(axis=-1)
        if data.ndim != 3:
            raise InputError(f"{option} {path}: a b0 image must be 3-D (or 4-D b0s to average), got {image.ndim}-D")
        if not np.isfinite(data).all():
            raise InputError(f"{option} {path}: holds NaN or Inf values; the b0s must be finite")
        arrays.append(data)
    check_grid(images[1], images[0], "--b0-ap", b0_minus_path, "--b0-pa", b0_plus_path)
    if not 0 <= pe_axis < 3 or images[0].shape[pe_axis] < 4:
        raise InputError(f"--pe-axis {'xyz'[pe_axis]}: the b0s have {images[0].shape[pe_axis]} voxels along it; "
                         "give the phase-encoding axis of the acquisition")
    field = susceptibility.estimate_field(arrays[0], arrays[1], pe_axis, readout_s)
    corrected = np.stack([susceptibility.unwarp(a, field.displacement_vox, pe_axis, sign)
                          for a, sign in zip(arrays, (1, -1))], axis=-1)
    save_nifti(f"{out_prefix}_field_hz.nii.gz", field.field_hz, images[0].affine, description="field (Hz)")
    save_nifti(f"{out_prefix}_corrected.nii.gz", corrected, images[0].affine, description="corrected b0s")
    return field


def correction_summary(result) -> list[str]:
    """The log lines of one session's corrections (``correct_session_files``' result): the reverse
    phase-encoding layout, the field's range (Hz) and b0 mismatch before -> after, outlier slices,
    how the series were combined."""
    f = result.field
    layout = (f"b0-only series {', '.join(result.field_only)} in fmap/ (the field only)" if result.field_only
              else "two full DWI series")
    return [f"reverse phase encoding: {layout}",
            f"field {f.field_hz.min():.1f} to {f.field_hz.max():.1f} Hz in {f.seconds:.1f} s; b0 mismatch "
            f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f}; {len(result.outliers)} outlier slices; "
            f"{result.combination}"]
