"""``trialmri dwiprep``: one DWI session's native corrections from files, checked before any computation.

The inputs are the two reverse-phase-encoded series of a session (two full DWI series, or one DWI
series and the b0-only series of ``fmap/``), each with its gradient files (a DWI series) and its
BIDS JSON sidecar (``PhaseEncodingDirection`` and ``TotalReadoutTime`` or ``EffectiveEchoSpacing``).
Every input is checked before any computation (:class:`~trialmri.errors.InputError` naming the file):
the program's options here, the images, gradients and sidecars by the engine's loader; the
correction itself and the files it writes are the workflow's own
(:func:`trialmri.dwi.correction_files.correct_session_files`, rule ``correct_dwi``).
"""

from __future__ import annotations

import json as json_module
import re
from pathlib import Path

import numpy as np

from trialmri.dwi.defaults import MOTION_ITERATIONS as DEFAULT_ITERATIONS
from trialmri.errors import InputError

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


def _sidecar(json_path, option: str, nii) -> str:
    if not Path(json_path).is_file():
        raise InputError(f"{option} {json_path}: no such sidecar for {nii}; its PhaseEncodingDirection and "
                         f"TotalReadoutTime are needed (dcm2niix writes the JSON): give its path with {option}")
    return str(json_path)


def check_inputs(dwi: list, bval=None, bvec=None, json=None, reverse_b0=None, reverse_b0_json=None,
                 iterations: int = DEFAULT_ITERATIONS) -> dict[str, tuple]:
    """The program's own checks (series counts, which file belongs to which series, sidecars
    present, ``--iterations``) and ``named`` (series name -> (nii, bval, bvec, json); bval and bvec
    None for the b0-only series), in the order given, for ``correct_session_files``. The images,
    gradients, grids, acquisitions and the pair are checked by the engine's loader
    (:func:`trialmri.dwi.corrections.load_series`) before any computation, as in the workflow.

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
    series = [(nii, bval_path, bvec_path, _sidecar(json_path, "--json", nii)) for nii, bval_path, bvec_path, json_path
              in zip(dwi, _per_series(bval, "--bval", dwi, ".bval"), _per_series(bvec, "--bvec", dwi, ".bvec"),
                     _per_series(json, "--json", dwi, ".json"))]
    if reverse_b0 is not None:
        json_path = reverse_b0_json if reverse_b0_json is not None else beside(reverse_b0, ".json")
        series.append((str(reverse_b0), None, None, _sidecar(json_path, "--reverse-b0-json", reverse_b0)))
    return dict(zip(_names(series), series))


def _pe_code(json_path) -> str | None:
    try:
        code = json_module.loads(Path(json_path).read_text()).get("PhaseEncodingDirection")
    except (ValueError, AttributeError):  # not JSON, or not an object: the engine's loader says so
        return None
    return code if isinstance(code, str) else None


def _names(series: list) -> list[str]:
    for labels in ([_direction_label(s[0]) for s in series], [_pe_code(s[3]) for s in series]):
        if all(labels) and len(set(labels)) == len(labels):
            return labels
    return [f"series{k + 1}" for k in range(len(series))]


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
