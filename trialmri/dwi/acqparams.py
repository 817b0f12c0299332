"""Acquisition parameters of reverse-phase-encoded DWI series, from BIDS JSON sidecars, as FSL files.

Conventions: BIDS ``PhaseEncodingDirection`` is a voxel axis (i, j, k) with an optional ``-``;
FSL's acqparams row is ``x y z readout`` with the axis as a unit vector in voxel axes ("j" ->
``0 1 0``, "j-" -> ``0 -1 0``) and the total readout time in seconds (BIDS ``TotalReadoutTime``:
time from the centre of the first to the centre of the last echo, i.e. EffectiveEchoSpacing x
(N_pe - 1)). topup and eddy only need the signs to be consistent between rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

PE_AXES = {"i": 0, "j": 1, "k": 2}
PE_CODES = {axis + sign for axis in PE_AXES for sign in ("", "-")}
# Realistic total readout time of an EPI DWI series, in seconds; outside it a value is taken as a
# unit mistake (e.g. milliseconds) or a broken sidecar.
READOUT_RANGE_S = (0.005, 0.25)


@dataclass(frozen=True)
class Acquisition:
    """One series: PE axis (0, 1, 2 = i, j, k), PE sign (+1/-1), total readout (s), JSON path."""

    pe_axis: int
    pe_sign: int
    readout_s: float
    source: str

    @property
    def code(self) -> str:
        """BIDS PhaseEncodingDirection, e.g. ``"j-"``."""
        return "ijk"[self.pe_axis] + ("-" if self.pe_sign < 0 else "")

    @property
    def fsl_vector(self) -> list[int]:
        """FSL acqparams direction, e.g. ``[0, -1, 0]`` for "j-"."""
        return [self.pe_sign if axis == self.pe_axis else 0 for axis in range(3)]


def read_acquisition(json_path, image_shape) -> Acquisition:
    """The series' acquisition from its sidecar; ``image_shape`` is the NIfTI shape (voxels).

    The readout is ``TotalReadoutTime`` (s) if present, else ``EffectiveEchoSpacing`` (s) x
    (image_shape[pe_axis] - 1), and must lie in READOUT_RANGE_S (0.005-0.25 s). Every problem is a
    ValueError naming the file and the fix.
    """
    path = str(json_path)
    try:
        meta = json.loads(Path(json_path).read_text())
    except ValueError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: a sidecar must be a JSON object")
    code = meta.get("PhaseEncodingDirection")
    if not isinstance(code, str) or code not in PE_CODES:
        raise ValueError(f"{path}: PhaseEncodingDirection {code!r} missing or not one of i, j, k, i-, j-, "
                         f"k-; add it from the DICOM header (dcm2niix writes it)")
    axis, sign = PE_AXES[code[0]], -1 if code.endswith("-") else 1
    if "TotalReadoutTime" in meta:
        readout = _number(meta["TotalReadoutTime"])
        what = f"TotalReadoutTime {meta['TotalReadoutTime']!r}"
        fix = "set TotalReadoutTime (s) in the sidecar; dcm2niix writes it"
    elif "EffectiveEchoSpacing" in meta:
        if axis >= len(image_shape):
            raise ValueError(f"{path}: phase-encoding axis {code} is not an axis of the image shape "
                             f"{image_shape}")
        ees, n_pe = _number(meta["EffectiveEchoSpacing"]), int(image_shape[axis])
        readout = ees * (n_pe - 1)
        what = f"EffectiveEchoSpacing {meta['EffectiveEchoSpacing']!r} x ({n_pe} - 1) = {readout:g} s"
        fix = ("EffectiveEchoSpacing must be in seconds (e.g. 0.00069, not 0.69 ms); or set "
               "TotalReadoutTime (s) in the sidecar; dcm2niix writes it")
    else:
        raise ValueError(f"{path}: neither TotalReadoutTime nor EffectiveEchoSpacing is given; set "
                         f"TotalReadoutTime (s) in the sidecar; dcm2niix writes it")
    check_readout(readout, f"{path}: {what}", fix)
    return Acquisition(axis, sign, readout, path)


def check_readout(readout: float, what: str, fix: str) -> None:
    """A total readout time (s) outside READOUT_RANGE_S is an error: ``what`` names it, ``fix`` says how."""
    lo, hi = READOUT_RANGE_S
    if not (math.isfinite(readout) and lo <= readout <= hi):
        raise ValueError(f"{what} is not a realistic total readout time ({lo}-{hi} s); {fix}")


def _number(value) -> float:
    """A JSON number as float; anything else (string, bool, null) as NaN, so the range check fails."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _row(acq: Acquisition) -> str:
    return " ".join(map(str, acq.fsl_vector)) + f" {acq.readout_s:.6g}"


def acqparams_rows(acqs: list[Acquisition]) -> list[str]:
    """FSL acqparams.txt lines (``"0 -1 0 0.0245"``), one per distinct acquisition, first-seen order."""
    return list(dict.fromkeys(_row(a) for a in acqs))


def index_column(acqs: list[Acquisition], n_volumes: list[int]) -> list[int]:
    """eddy's index: the 1-based acqparams row of every volume of the series concatenated in order."""
    if len(acqs) != len(n_volumes):
        raise ValueError(f"{len(acqs)} acquisitions but {len(n_volumes)} volume counts")
    rows = acqparams_rows(acqs)
    return [rows.index(_row(a)) + 1 for a, n in zip(acqs, n_volumes) for _ in range(n)]


def write_fsl_files(acqs: list[Acquisition], n_volumes: list[int], out_acqparams, out_index,
                    out_b0_acqparams=None, n_b0: list[int] | None = None) -> None:
    """Write acqparams.txt, index.txt (one line) and optionally topup's datain (one row per b0 of
    the merged b0 image; series k contributes ``n_b0[k]`` rows)."""
    Path(out_acqparams).write_text("\n".join(acqparams_rows(acqs)) + "\n")
    Path(out_index).write_text(" ".join(map(str, index_column(acqs, n_volumes))) + "\n")
    if out_b0_acqparams is not None:
        if n_b0 is None or len(n_b0) != len(acqs):
            raise ValueError(f"topup datain needs one b0 count per series, got {n_b0!r} for {len(acqs)} "
                             f"series")
        rows = [_row(a) for a, n in zip(acqs, n_b0) for _ in range(n)]
        Path(out_b0_acqparams).write_text("".join(row + "\n" for row in rows))


def check_pair(acqs: list[Acquisition]) -> None:
    """A session's two series must share PE axis and readout (within 1 %) with opposite PE signs."""
    if len(acqs) != 2:
        raise ValueError(f"expected two reverse-phase-encoded series, got {len(acqs)}: "
                         f"{', '.join(a.source for a in acqs)}")
    a, b = acqs
    names = f"{a.source} ({a.code}, {a.readout_s:g} s) and {b.source} ({b.code}, {b.readout_s:g} s)"
    if a.pe_axis != b.pe_axis or a.pe_sign == b.pe_sign:
        raise ValueError(f"{names}: need the same phase-encoding axis with opposite signs (e.g. j- and j)")
    if abs(a.readout_s - b.readout_s) > 0.01 * max(a.readout_s, b.readout_s):
        raise ValueError(f"{names}: total readout times differ by more than 1 %; check TotalReadoutTime")
