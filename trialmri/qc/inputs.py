"""Per-subject input checks: can each file be read, and do its parts agree?

:func:`check_subject` takes the role -> path mapping of :meth:`Inventory.subject_files` and returns
one row per check: ``subject, session, file, check, status (pass|fail), message``. Headers and
side files are read whole; each image's data block is streamed once (:mod:`trialmri.qc.image_data`)
to find truncated files and NaN/Inf values, a few seconds per subject at the studies' sizes.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.dwi.acqparams import read_acquisition
from trialmri.dwi.gradients import is_b0, unit_length_ok
from trialmri.fc.confounds import column_plan, load_session_confounds, too_few_volumes
from trialmri.fc.denoise import brain_mask, brain_series, repetition_time
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.grids import same_grid
from trialmri.qc.image_data import scan_data
from trialmri.tables import COLUMNS, EXCLUSION_COLUMNS, INPUT_QC_STEP, NO_SESSION, qc_row, write_tsv


class _Rows:
    def __init__(self, subject: str):
        self.subject, self.rows = subject, []

    def add(self, session, path, check, ok, message=""):
        self.rows.append(qc_row(self.subject, session, Path(path).name, check, ok, message))
        return ok


def _header(rows: _Rows, session, path, ndim: int | tuple[int, ...]):
    try:
        img = nib.load(path)
        shape = img.shape
    except Exception as err:  # nibabel raises many types for damaged files
        rows.add(session, path, "readable", False, f"cannot read image ({err}); re-export it from the scanner data")
        return None
    if not rows.add(session, path, "readable", True):
        return None
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    label = " or ".join(f"{n}-D" for n in ndims)
    if not rows.add(session, path, label, len(shape) in ndims,
                    f"image is {len(shape)}-D {shape}, a {label} image is needed"):
        return None
    scan = scan_data(path, img)
    problem = (f"the data cannot be read to the end ({scan.error})" if scan.error else
               f"the data end early ({scan.read_bytes:,} of {scan.expected_bytes:,} bytes)")
    if not rows.add(session, path, "complete data", scan.complete,
                    f"{problem}: the file is truncated or corrupt; copy it again from the source"):
        return None
    if not rows.add(session, path, "finite values", scan.nonfinite == 0,
                    f"{scan.nonfinite:,} voxel value{'s are' if scan.nonfinite != 1 else ' is'} NaN or Inf; "
                    "re-export the image or mask them out before the analysis"):
        return None
    return img


def _check_dwi(rows: _Rows, session: str, parts: dict[str, str]):
    if "bval" not in parts:  # a b0-only reverse-PE series from fmap/ (trialmri.bids.fieldmaps)
        img = _header(rows, session, parts["nii"], (3, 4))
        _check_acquisition(rows, session, parts["json"], img)
        return img
    img = _header(rows, session, parts["nii"], 4)
    n_vol = img.shape[3] if img is not None else None
    try:
        bvals = np.loadtxt(parts["bval"], ndmin=1)
        rows.add(session, parts["bval"], "bval", bvals.ndim == 1 and np.all(bvals >= 0),
                 "bval must be one row of non-negative numbers")
    except ValueError as err:
        rows.add(session, parts["bval"], "bval", False, f"not numbers ({err})")
        bvals = None
    try:
        bvecs = np.loadtxt(parts["bvec"], ndmin=2)
        ok = bvecs.shape[0] == 3
        rows.add(session, parts["bvec"], "bvec", ok, f"bvec must have 3 rows (FSL layout), has {bvecs.shape[0]}")
        bvecs = bvecs if ok else None
    except ValueError as err:
        rows.add(session, parts["bvec"], "bvec", False, f"not numbers ({err})")
        bvecs = None
    if n_vol is not None and bvals is not None and bvecs is not None:
        rows.add(session, parts["nii"], "volume count", len(bvals) == n_vol == bvecs.shape[1],
                 f"{n_vol} volumes but {len(bvals)} b-values and {bvecs.shape[1]} b-vectors; "
                 "the three must agree")
    if bvals is not None and bvecs is not None and len(bvals) == bvecs.shape[1]:
        rows.add(session, parts["bvec"], "unit b-vectors", unit_length_ok(bvals, bvecs.T),
                 _bvec_problem(bvals, bvecs.T))
    _check_acquisition(rows, session, parts["json"], img)
    return img


def _check_acquisition(rows: _Rows, session: str, json_path: str, img) -> None:
    """The same reader the corrections use: PE direction, readout (or its echo-spacing fallback)."""
    try:
        read_acquisition(json_path, img.shape if img is not None else ())
        ok, message = True, ""
    except (OSError, ValueError) as err:
        ok, message = False, str(err)
    rows.add(session, json_path, "acquisition parameters", ok, message)


def _bvec_problem(bvals: np.ndarray, bvecs: np.ndarray) -> str:
    """What is wrong with the b-vectors (N, 3) of the diffusion-weighted volumes, for the message."""
    weighted = ~is_b0(bvals)
    norms = np.linalg.norm(bvecs[weighted], axis=1)
    if weighted.any() and np.all(norms == 0):
        return ("every b-vector of the diffusion-weighted volumes is zero (the gradient table was lost "
                "in conversion); convert the DICOMs again with dcm2niix")
    volumes = np.flatnonzero(weighted)[np.abs(norms - 1) > 0.05]
    return (f"b-vectors of diffusion-weighted volumes must have unit length; volume(s) "
            f"{', '.join(map(str, volumes[:10]))}{' ...' if len(volumes) > 10 else ''} do not")


def _check_repetition_time(rows: _Rows, session: str, path: str, img, tr_s: float | None,
                           source: str = "config rsfmri.repetition_time_s") -> None:
    """The BOLD's TR (header pixdim[4]) is ``tr_s`` (within 1 ms), which ``source`` names."""
    if tr_s is None:
        return
    try:
        found = repetition_time(img, path)
    except ValueError as err:
        rows.add(session, path, "repetition time", False, str(err))
        return
    rows.add(session, path, "repetition time", abs(found - tr_s) <= 1e-3,
             f"TR is {found:g} s but {source} is {tr_s:g} s; check the run, or set config "
             "rsfmri.repetition_time_s to the TR of this study")


def check_subject(subject: str, files: dict[str, str], denoise: DenoiseStrategy | None = None,
                  bold_tr_s: float | None = None,
                  tr_source: str = "config rsfmri.repetition_time_s") -> pd.DataFrame:
    """Checks of every input file of ``subject`` (roles as from ``Inventory.subject_files``).

    With ``denoise`` (the rsfMRI strategy), each BOLD session's confounds table is also checked
    for the columns the strategy needs (or trialmri can compute: ``table.attrs["notes"]`` says
    which) and for enough volumes left after censoring. With
    ``bold_tr_s`` (s), each BOLD's repetition time must be that.
    """
    rows, notes = _Rows(subject), []
    series: dict[str, dict[str, dict[str, str]]] = {}
    bold: dict[str, dict[str, str]] = {}
    for role, path in files.items():
        kind, *rest = role.split("_")
        if kind == "dwi":
            ses, direction, part = rest
            series.setdefault(ses, {}).setdefault(direction, {})[part] = path
        elif kind == "bold":
            ses, part = rest
            bold.setdefault(ses, {})[part] = path
        elif role == "t1w":
            _header(rows, None, path, 3)
    for ses, by_dir in sorted(series.items()):
        images = {d: _check_dwi(rows, ses, parts) for d, parts in sorted(by_dir.items())}
        good = [(d, img) for d, img in images.items() if img is not None]
        if len(good) == 2:
            (d1, a), (d2, b) = good
            rows.add(ses, by_dir[d2]["nii"], "same geometry as dir-" + d1, same_grid(a, b),
                     f"dir-{d1} and dir-{d2} differ in grid ({a.shape[:3]} vs {b.shape[:3]}) or affine; "
                     "they must be acquired with the same geometry")
    for ses, parts in sorted(bold.items()):
        img = _header(rows, ses, parts["bold"], 4)
        if img is not None:
            _check_repetition_time(rows, ses, parts["bold"], img, bold_tr_s, tr_source)
        try:
            n_rows = len(pd.read_csv(parts["confounds"], sep="\t"))
            ok = img is None or n_rows == img.shape[3]
            rows.add(ses, parts["confounds"], "rows = volumes", ok,
                     f"{n_rows} rows but the BOLD has {img.shape[3] if img is not None else '?'} volumes")
        except (OSError, ValueError, pd.errors.ParserError) as err:
            rows.add(ses, parts["confounds"], "readable", False, f"cannot read table ({err})")
            continue
        if denoise is not None and ok:
            notes += _check_censoring(rows, ses, parts, denoise, img)
    table = pd.DataFrame(rows.rows, columns=COLUMNS)
    table.attrs["notes"] = notes
    return table


def _check_censoring(rows: _Rows, session: str, parts: dict[str, str], strategy: DenoiseStrategy,
                     img) -> list[str]:
    """The confounds table has what the strategy reads or trialmri can compute (DVARS from the BOLD
    ``img`` in its brain mask, as the denoising will), and censoring leaves enough volumes.
    Returns notes on the columns computed."""
    computable, missing = column_plan(parts["confounds"], strategy, from_bold=img is not None)
    if not rows.add(session, parts["confounds"], "denoising columns", not missing,
                    f"no column(s) {', '.join(missing)}, which config rsfmri.denoise needs and trialmri cannot "
                    "compute from the table; use fMRIPrep's full confounds table or change the strategy"):
        return []
    series = None if img is None else lambda: brain_series(img, brain_mask(img, parts.get("mask")))
    try:
        session_confounds = load_session_confounds(parts["bold"], strategy, series)
    except ValueError as err:  # a brain mask off the BOLD grid, an all-constant BOLD
        rows.add(session, parts["confounds"], "volumes after censoring", False, str(err))
        return []
    reason = too_few_volumes(session_confounds, strategy)
    rows.add(session, parts["confounds"], "volumes after censoring", reason is None, reason or "")
    return [f"ses-{session}: {Path(parts['confounds']).name} lacks {column}; trialmri computes it: {how}"
            for column, how in computable.items()]


def failures_as_exclusions(qc: pd.DataFrame, step: str = INPUT_QC_STEP) -> pd.DataFrame:
    """One exclusion row per (subject, session) with failed checks, reasons joined. A check of a
    file of no session (the T1w, participants.tsv) is a row of session ``n/a`` (NO_SESSION), also when
    the QC table was read back from TSV (where ``n/a`` reads as missing)."""
    failed = qc[qc["status"] == "fail"].fillna({"session": NO_SESSION})
    if failed.empty:
        return pd.DataFrame(columns=EXCLUSION_COLUMNS)
    grouped = failed.groupby(["subject", "session"], sort=True)
    return pd.DataFrame([{"subject": s, "session": ses, "step": step,
                          "reason": "; ".join(f"{r.file}: {r.message}" for r in g.itertuples())}
                         for (s, ses), g in grouped])


def check_subject_files(subject: str, inputs: dict, denoise: dict, bold_tr_s, tr_source, qc_out) -> list[str]:
    """One subject's input checks (:func:`check_subject`; ``denoise``: config rsfmri.denoise) ->
    ``qc_out`` (TSV); returns the log lines: the checks' notes, then how many failed."""
    table = check_subject(subject, inputs, DenoiseStrategy.from_config(denoise), bold_tr_s, tr_source)
    write_tsv(qc_out, table)
    return [f"sub-{subject} {note}" for note in table.attrs.get("notes", [])] + [
        f"sub-{subject}: {len(table)} checks, {int((table['status'] == 'fail').sum())} failed"]
