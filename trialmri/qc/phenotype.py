"""Checks of participants.tsv and the per-session tables against the config's column mapping.

Each arm needs the columns its analyses read: by default the DTI arm its group and covariates in
participants.tsv and MADRS and QIDS-SR at both sessions (the workflow passes the outcomes and
covariates of ``dti.statistics``); the rsfMRI arm its group and infusion order, and CRP, MADRS and
SHAPS after each infusion. A missing column is one failed row naming the config key to change; a
missing or non-numeric value is one failed row per subject and session.
"""

from __future__ import annotations

import pandas as pd

from trialmri.qc.table import COLUMNS, qc_row

DTI_PARTICIPANT_KEYS = ("group", "failed_trials", "treatment_resistance", "psychotropic_medication")
RS_PARTICIPANT_KEYS = ("group", "infusion_order")
DTI_SESSION_KEYS = ("madrs", "qids_sr")
RS_SESSION_KEYS = ("crp_day1", "madrs_day2", "madrs_day10", "shaps_day2", "shaps_day10")


def check_phenotype(participants: pd.DataFrame | None, sessions: pd.DataFrame, columns: dict,
                    arms: dict[str, dict]) -> pd.DataFrame:
    """Rows ``subject, session, file, check, status, message`` (see :mod:`trialmri.qc.inputs`).

    ``columns`` is the config's ``phenotype`` block; ``arms`` maps ``dti`` / ``rsfmri`` to
    ``{"subjects": [...], "sessions": [...]}`` plus, optionally, the keys the arm's analyses read
    (``participant_keys``, ``session_keys``: phenotype keys or column names; default the study's).
    """
    rows: list[dict] = []

    def add(*args):
        rows.append(qc_row(*args))

    if participants is None:
        add("n/a", "n/a", "participants.tsv", "exists", False,
            "the dataset has no participants.tsv; add one with participant_id and group columns")
        return pd.DataFrame(rows, columns=COLUMNS)
    dupes = participants["participant_id"][participants["participant_id"].duplicated()]
    add("n/a", "n/a", "participants.tsv", "unique participant_id", dupes.empty,
        f"participant_id repeated: {', '.join(sorted(set(dupes)))}; keep one row per subject")
    specs = {"dti": (DTI_PARTICIPANT_KEYS, DTI_SESSION_KEYS), "rsfmri": (RS_PARTICIPANT_KEYS, RS_SESSION_KEYS)}
    for arm, info in arms.items():
        if not info["subjects"]:
            continue
        part_keys = info.get("participant_keys", specs[arm][0])
        ses_keys = info.get("session_keys", specs[arm][1])
        for key in part_keys:
            col = columns["participants"].get(key, key)
            add("n/a", "n/a", "participants.tsv", f"column {col}", col in participants,
                f"no column {col!r} for the {arm} arm; rename it or set phenotype.participants.{key}")
        for key in ses_keys:
            col = columns["sessions"].get(key, key)
            present = col in sessions
            add("n/a", "n/a", "sub-*_sessions.tsv", f"column {col}", present,
                f"no column {col!r} in any sessions table for the {arm} arm; "
                f"rename it or set phenotype.sessions.{key}")
            if not present:
                continue
            table = sessions.set_index(["participant_id", "session_id"])[col]
            for sub in info["subjects"]:
                for ses in info["sessions"]:
                    key_ = (f"sub-{sub}", f"ses-{ses}")
                    value = table.get(key_) if key_ in table.index else None
                    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
                    ok = value is not None and pd.notna(number)
                    add(sub, ses, f"sub-{sub}_sessions.tsv", f"{col} numeric", ok,
                        f"{col} is {'missing' if value is None or pd.isna(value) else repr(value)} "
                        f"for ses-{ses}; enter the number or n/a if it was not collected")
    return pd.DataFrame(rows, columns=COLUMNS)
