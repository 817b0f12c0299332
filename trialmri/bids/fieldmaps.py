"""The reverse-phase-encoded b0 series of a DWI session when it is a field map (``fmap/*_epi``).

Many labs acquire the reverse phase encoding not as a second full DWI series but as a few b0s in
``fmap/``: ``sub-X/ses-Y/fmap/sub-X_ses-Y_[acq-<label>_]dir-PA_epi.nii.gz`` with its JSON. BIDS
links such a field map to the images it corrects in one of two ways; :func:`find_reverse_b0s`
accepts either:

* ``IntendedFor`` in the field map's JSON (a string or a list) names the DWI image, as a path
  relative to the subject folder (``ses-Y/dwi/sub-X_ses-Y_dir-AP_dwi.nii.gz``) or as a BIDS URI
  relative to the dataset root (``bids::sub-X/ses-Y/dwi/sub-X_ses-Y_dir-AP_dwi.nii.gz``);
* ``B0FieldIdentifier`` of the field map (string or list) shares a value with ``B0FieldSource``
  of the DWI's JSON (string or list).

Rules (each refusal is a reason for the session's exclusion that lists the candidates):

* exactly one candidate linked to the DWI: it is used;
* more than one linked: ambiguous, none is used;
* none linked: the session's only candidate is used if it links to nothing at all (neither
  IntendedFor nor B0FieldIdentifier) and the DWI names no ``B0FieldSource`` (a dataset written
  without the links, one field map per session: nothing else it could be for); a candidate linked
  to other images only is never used, nor is one of several unlinked ones.

A candidate is a ``*_epi.nii[.gz]`` in the session's ``fmap/`` folder with the wanted ``dir-``
entity and a JSON beside it. In the inventory it is the parts ``{"nii", "json"}`` (no bval or bvec:
every volume is a b0), which is how the workflow tells the two layouts apart (:func:`is_b0_only`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

BIDS_URI = "bids::"


@dataclass(frozen=True)
class ReverseB0s:
    """The outcome of :func:`find_reverse_b0s`: ``parts`` ({"nii", "json"}) if one series is usable,
    else None with ``reason`` (None too when the session holds no candidate at all)."""

    parts: dict | None
    reason: str | None = None


def is_b0_only(parts: dict) -> bool:
    """True for a b0-only series (a field map: image and JSON, no gradient files)."""
    return "bval" not in parts


def full_series(series: dict[str, dict]) -> list[str]:
    """The directions of a session's series (direction -> parts) that are full DWI series."""
    return [d for d, parts in series.items() if not is_b0_only(parts)]


def named_series(inputs, directions) -> dict[str, tuple]:
    """direction → (nii, bval, bvec, json) from a rule's input (roles ``<part>_<direction>``, as the
    workflow's ``dwi_series`` names them); bval and bvec are None for a b0-only series."""
    return {d: tuple(inputs.get(f"{part}_{d}") for part in ("nii", "bval", "bvec", "json")) for d in directions}


def require_dwi(named: dict) -> None:
    """At least one series of ``named`` (name → (nii, bval, bvec, json)) must be a full DWI series."""
    if all(bval is None and bvec is None for _, bval, bvec, _ in named.values()):
        raise ValueError(f"{', '.join(str(v[0]) for v in named.values())}: b0-only series only; one must be "
                         f"a DWI series with its bval and bvec")


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _read_json(path) -> dict:
    try:
        meta = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _relative(path: str, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _intended(entries: list[str], subject: str) -> set[str]:
    """IntendedFor entries as paths relative to the dataset root."""
    out = set()
    for entry in entries:
        if entry.startswith(BIDS_URI):
            path = entry[len(BIDS_URI):]
        else:
            path = f"sub-{subject}/{entry}"
        out.add(os.path.normpath(path.lstrip("/")))
    return out


def _stem(image: str) -> str:
    return re.sub(r"\.nii(\.gz)?$", "", image)


def find_reverse_b0s(index, subject: str, session: str, direction: str, dwi_image: str) -> ReverseB0s:
    """The ``dir-<direction>`` b0 series in ``fmap/`` for the DWI image ``dwi_image`` (see module doc).

    ``index``: the raw dataset's :class:`~trialmri.bids.file_index.FileIndex`.
    """
    root = index.root
    images = [p for p in index.get(subject=subject, session=session, suffix="epi", direction=direction,
                                   extension=[".nii.gz", ".nii"]) if Path(p).parent.name == "fmap"]
    if not images:
        return ReverseB0s(None)
    dwi_rel = _relative(dwi_image, root)
    dwi_sources = set(_as_list(_read_json(_stem(dwi_image) + ".json").get("B0FieldSource")))
    linked, unlinked, notes = [], [], []
    for image in images:
        sidecar = _stem(image) + ".json"
        name = Path(image).name
        if not Path(sidecar).exists():
            notes.append(f"{name} (no .json beside it)")
            continue
        meta = _read_json(sidecar)
        intended = _intended(_as_list(meta.get("IntendedFor")), subject)
        identifiers = set(_as_list(meta.get("B0FieldIdentifier")))
        parts = {"nii": image, "json": sidecar}
        if dwi_rel in intended or identifiers & dwi_sources:
            linked.append(parts)
        elif intended or identifiers:
            notes.append(f"{name} (linked to other images only)")
        else:
            unlinked.append(parts)
            notes.append(f"{name} (not linked: no IntendedFor or B0FieldIdentifier)")
    wanted = f"dir-{direction} b0 series in fmap/"
    if len(linked) == 1:
        return ReverseB0s(linked[0])
    if linked:
        return ReverseB0s(None, f"{len(linked)} {wanted} are linked to {Path(dwi_image).name}: "
                                f"{', '.join(Path(p['nii']).name for p in linked)}; link only one (IntendedFor "
                                f"or B0FieldIdentifier/B0FieldSource)")
    if len(images) == 1 and unlinked and not dwi_sources:
        return ReverseB0s(unlinked[0])  # the session's only candidate, linked to nothing
    why = "; its B0FieldSource matches none" if dwi_sources else ""
    return ReverseB0s(None, f"no {wanted} linked to {Path(dwi_image).name}{why}: {', '.join(notes)}; add "
                            f"its path to the field map's IntendedFor (or a shared B0FieldIdentifier/"
                            f"B0FieldSource)")
