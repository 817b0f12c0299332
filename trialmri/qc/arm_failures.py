"""A whole arm lost to one input check: the message that stops the run before any analysis.

One bad session only excludes itself. When every session of an arm fails the input checks, the run
would go on to a result without that arm; instead :func:`whole_arm_failure` names the check that
failed most often, an example, and the config key that usually fixes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.tables import session_failed

ARM_NAMES = {"dti": "DTI", "rsfmri": "rsfMRI"}
# check name (trialmri.qc.inputs) -> the config keys that decide it, where a setting can fix it
CHECK_KEYS = {
    "denoising columns": "rsfmri.denoise",
    "volumes after censoring": "rsfmri.denoise.scrub and rsfmri.denoise.min_volumes",
    "repetition time": "rsfmri.repetition_time_s",
    "acquisition parameters": "dti.phase_encoding_dirs",
}


def whole_arm_failure(qc: pd.DataFrame, failed: dict[str, set[str]], arm: str,
                      sessions: list[tuple[str, str]]) -> str | None:
    """The stop message when every ``(subject, session)`` of ``arm`` failed an input check
    (``failed``: :func:`trialmri.qc.table.failed_input_checks`), else None."""
    if not sessions or not all(session_failed(failed.get(sub, set()), ses) for sub, ses in sessions):
        return None
    keys = {(str(sub), str(ses)) for sub, ses in sessions}
    subjects = {sub for sub, _ in keys}
    ours = [(str(s), str(t)) in keys or (str(s) in subjects and t == "n/a")
            for s, t in zip(qc["subject"], qc["session"])]
    rows = qc[(qc["status"] == "fail").to_numpy() & np.array(ours, dtype=bool)]
    name = ARM_NAMES[arm]
    if rows.empty:
        return f"every {name} session failed the input checks; see exclusions.tsv"
    check = rows["check"].value_counts().index[0]
    example = rows[rows["check"] == check].iloc[0]
    n = int(rows.loc[rows["check"] == check, ["subject", "session"]].drop_duplicates().shape[0])
    fix = (f"check config {CHECK_KEYS[check]} against your data" if check in CHECK_KEYS
           else "fix the input files (input_qc.tsv lists each failure)")
    return (f"every {name} session failed the input checks ({len(keys)} of {len(keys)}), {n} of them "
            f"the check {check!r}, e.g. sub-{example['subject']} ses-{example['session']} "
            f"{example['file']}: {example['message']}. Nothing of the {name} arm could be analysed, so the "
            f"run stops here: {fix}")
