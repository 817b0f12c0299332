"""``trialmri dwiprep``: one DWI session's native corrections from files, checked before any computation.

The inputs are the two reverse-phase-encoded series of a session (two full DWI series, or one DWI
series and the b0-only series of ``fmap/``), each with its gradient files (a DWI series) and its
BIDS JSON sidecar (``PhaseEncodingDirection`` and ``TotalReadoutTime`` or ``EffectiveEchoSpacing``).
Every input is checked here first (:class:`~trialmri.errors.InputError` naming the option and file);
the correction itself and the files it writes are the workflow's own
(:func:`trialmri.dwi.correction_files.correct_session_files`, rule ``correct_dwi``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from trialmri.dwi.acqparams import check_pair, read_acquisition
from trialmri.dwi.defaults import MIN_DW_VOLUMES
from trialmri.dwi.defaults import MOTION_ITERATIONS as DEFAULT_ITERATIONS
from trialmri.dwi.gradients import is_b0, read_fsl_gradients
from trialmri.errors import InputError
from trialmri.image_inputs import check_grid, read_image, read_series

# output key of correct_session_files -> file name after the prefix ``P``
OUTPUT_SUFFIXES = {
    "dwi": "_dwi.nii.gz",
    "bval": "_dwi.bval",
    "bvec": "_dwi.bvec",
    "sidecar": "_dwi.json",
    "field": "_field_hz.nii.gz",
    "displacement": "_displacement_mm.nii.gz",
    "motion": "_motion.tsv",
    "outliers": "_outliers.tsv",
    "field_figure": "_field.png",
    "motion_figure": "_motion.png",
}
_IMAGE_EXT = re.compile(r"\.nii(\.gz)?$")


def prefix_outputs(prefix) -> dict[str, str]:
    """Output key -> path for ``--out-prefix`` ``prefix`` (:data:`OUTPUT_SUFFIXES`)."""
    return {key: f"{prefix}{suffix}" for key, suffix in OUTPUT_SUFFIXES.items()}


def beside(nii, ext: str) -> str:
    """The file beside image ``nii`` with its extension replaced (BIDS naming): ``X_dwi.nii.gz`` ->
    ``X_dwi.bval``."""
    return _IMAGE_EXT.sub("", str(nii)) + ext


def _direction_label(nii) -> str | None:
    match = re.search(r"(?:^|_)dir-([A-Za-z0-9]+)(?:_|$)", _IMAGE_EXT.sub("", Path(nii).name))
    return match.group(1) if match else None


def _per_series(values, option: str, images: list, ext: str) -> list[str]:
    """One file per ``--dwi`` image from ``option``'s list, or each beside its image."""
    if values is None:
        return [beside(nii, ext) for nii in images]
    if len(values) != len(images):
        raise InputError(f"{option}: {len(values)} file(s) for {len(images)} --dwi series; give one per --dwi "
                         f"image in the same order, or none to use the {ext} beside each image")
    return [str(v) for v in values]


def _acquisition(json_path, option: str, nii, shape):
    path = Path(json_path)
    if not path.is_file():
        raise InputError(f"{option} {json_path}: no such sidecar for {nii}; its PhaseEncodingDirection and "
                         f"TotalReadoutTime are needed (dcm2niix writes the JSON): give its path with {option}")
    try:
        return read_acquisition(path, shape)
    except ValueError as err:
        raise InputError(f"{option} {err}") from None


def check_inputs(dwi: list, bval=None, bvec=None, json=None, reverse_b0=None, reverse_b0_json=None,
                 iterations: int = DEFAULT_ITERATIONS) -> dict[str, tuple]:
    """Check every input of one session and return ``named`` (series name -> (nii, bval, bvec, json),
    bval and bvec None for the b0-only series), in the order given, for ``correct_session_files``.

    Two series in all: two ``dwi`` images, or one and ``reverse_b0``. A series is named by its
    ``dir-`` entity (``AP``, ``PA``), else by its PhaseEncodingDirection (``j-``, ``j``).
    """
    dwi = [str(p) for p in dwi]
    if iterations < 1:
        raise InputError(f"--iterations {iterations}: must be at least 1 (the workflow's default is "
                         f"{DEFAULT_ITERATIONS})")
    if reverse_b0 is None and len(dwi) != 2:
        raise InputError(f"--dwi: {len(dwi)} series given; give the two reverse-phase-encoded DWI series "
                         "(e.g. --dwi AP.nii.gz PA.nii.gz), or one with --reverse-b0 (the b0-only fmap/ series)")
    if reverse_b0 is not None and len(dwi) != 1:
        raise InputError(f"--reverse-b0 {reverse_b0}: with a b0-only reverse series give one --dwi series, "
                         f"not {len(dwi)}")
    if reverse_b0 is None and reverse_b0_json is not None:
        raise InputError(f"--reverse-b0-json {reverse_b0_json}: given without --reverse-b0; add the b0-only "
                         "series it describes, or drop it")
    bvals = _per_series(bval, "--bval", dwi, ".bval")
    bvecs = _per_series(bvec, "--bvec", dwi, ".bvec")
    jsons = _per_series(json, "--json", dwi, ".json")
    series, first, n_dw = [], None, 0  # (nii, bval, bvec, json, acquisition)
    for nii, bval_path, bvec_path, json_path in zip(dwi, bvals, bvecs, jsons):
        image = read_series(nii, "--dwi", min_volumes=2)
        if first is not None:
            check_grid(image, first[1], "--dwi", nii, "--dwi", first[0])
        first = first or (nii, image)
        try:
            values, _ = read_fsl_gradients(bval_path, bvec_path, n_volumes=image.shape[3])
        except ValueError as err:
            raise InputError(f"--bval/--bvec of --dwi {nii}: {err}; each series needs its own gradient files "
                             "(FSL layout, one entry per volume)") from None
        if not is_b0(values).any():
            raise InputError(f"--bval {bval_path}: no b = 0 volume (b <= 50) in --dwi {nii}; the field and the "
                             "motion reference need one in each series")
        series.append((nii, bval_path, bvec_path, json_path,
                       _acquisition(json_path, "--json", nii, image.shape)))
        n_dw += int((~is_b0(values)).sum())
    if n_dw < MIN_DW_VOLUMES:
        raise InputError(f"--dwi {' '.join(dwi)}: {n_dw} diffusion-weighted volume(s) (b > 50) in all; the "
                         f"eddy-current model needs at least {MIN_DW_VOLUMES}; give the full DWI series"
                         + (" (the --reverse-b0 series adds none)" if reverse_b0 is not None else ""))
    if reverse_b0 is not None:
        image = read_image(reverse_b0, "--reverse-b0")
        if image.ndim not in (3, 4):
            raise InputError(f"--reverse-b0 {reverse_b0}: {image.ndim}-D {image.shape}; a b0 series is 3-D or 4-D")
        check_grid(image, first[1], "--reverse-b0", reverse_b0, "--dwi", first[0])
        json_path = str(reverse_b0_json) if reverse_b0_json is not None else beside(reverse_b0, ".json")
        series.append((str(reverse_b0), None, None, json_path,
                       _acquisition(json_path, "--reverse-b0-json", reverse_b0, image.shape)))
    try:
        check_pair([s[4] for s in series])
    except ValueError as err:
        raise InputError(f"--json {err}; check each series' PhaseEncodingDirection and TotalReadoutTime (the "
                         "two series must be a reverse phase-encoded pair)") from None
    return {name: s[:4] for name, s in zip(_names(series), series)}


def _names(series: list) -> list[str]:
    labels = [_direction_label(s[0]) for s in series]
    if all(labels) and len(set(labels)) == len(labels):
        return labels
    return [s[4].code for s in series]


def dwiprep_files(named: dict, out_prefix, iterations: int = DEFAULT_ITERATIONS, title: str = "",
                  progress=None):
    """Correct the session ``named`` (from :func:`check_inputs`) and write ``P_*`` (:data:`OUTPUT_SUFFIXES`),
    exactly as the workflow's ``correct_dwi`` writes its outputs. Returns the ``Corrected`` result."""
    from trialmri.dwi.correction_files import correct_session_files

    return correct_session_files(named, prefix_outputs(out_prefix), int(iterations), title=title,
                                 progress=progress)


def summary(result, out_prefix) -> str:
    """One line for the terminal: layout, field range, mismatch, outliers, combination, files."""
    f = result.field
    layout = (f"b0-only reverse series {', '.join(result.field_only)} (the field only)" if result.field_only
              else "two full DWI series")
    return (f"{layout}; field {f.field_hz.min():.1f} to {f.field_hz.max():.1f} Hz; b0 mismatch "
            f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f}; {len(result.outliers)} outlier slices; "
            f"{result.combination}; {int(np.asarray(result.dwi).shape[-1])} volumes; wrote "
            f"{out_prefix}_{{dwi.nii.gz,dwi.bval,dwi.bvec,dwi.json,field_hz.nii.gz,displacement_mm.nii.gz,"
            f"motion.tsv,outliers.tsv,field.png,motion.png}}")
