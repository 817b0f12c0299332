"""The rsfMRI arm's TR when the config leaves it open (``rsfmri.repetition_time_s: null``).

Each run's TR (s) is the ``RepetitionTime`` of its JSON sidecar (fMRIPrep writes one beside every
preprocessed BOLD). The arm's TR is the most common one; the input checks then exclude each session
whose header TR differs, with its reason. Standard library only: this runs when the workflow loads.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def sidecar_tr(bold_path) -> float | None:
    """``RepetitionTime`` (s) of a BOLD's JSON sidecar, or None when there is none or it lacks it."""
    name = Path(bold_path).name
    stem = name[: -len(".nii.gz")] if name.endswith(".nii.gz") else Path(name).stem
    sidecar = Path(bold_path).with_name(stem + ".json")
    try:
        value = json.loads(sidecar.read_text(encoding="utf-8")).get("RepetitionTime")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def arm_tr(bold_paths) -> tuple[float | None, str]:
    """The most common sidecar TR of ``bold_paths`` (rounded to 1 ms) and what it is, in words;
    ``(None, why)`` when no run has a sidecar TR (then each run's header TR is used as it is)."""
    found = [tr for tr in map(sidecar_tr, bold_paths) if tr is not None]
    if not found:
        return None, "no BOLD sidecar gives RepetitionTime: each run's header TR is used"
    # the sentence is a job parameter of every subject's input check: it names no counts, so a new
    # subject's arrival reruns the checks only if it changes the arm's TR itself
    tr, _ = Counter(round(tr, 3) for tr in found).most_common(1)[0]
    return tr, "the most common TR of the arm's BOLD sidecars"
