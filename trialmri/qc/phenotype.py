"""Checks of participants.tsv and the per-session tables against the config's column mapping.

Each arm needs the columns its analyses read: by default the DTI arm its group and covariates in
participants.tsv and MADRS and QIDS-SR at both sessions (the workflow passes the outcomes and
covariates of ``dti.statistics``); the rsfMRI arm its group and infusion order, and CRP, MADRS and
SHAPS after each infusion. A missing column is one failed row naming the config key to change; a
missing or non-numeric value is one failed row per subject and session.
"""

from __future__ import annotations

import pandas as pd

from trialmri.tables import COLUMNS, qc_row

DTI_PARTICIPANT_KEYS = ("group", "failed_trials", "treatment_resistance", "psychotropic_medication")
RS_PARTICIPANT_KEYS = ("group", "infusion_order")
DTI_SESSION_KEYS = ("madrs", "qids_sr")
RS_SESSION_KEYS = ("crp_day1", "madrs_day2", "madrs_day10", "shaps_day2", "shaps_day10")


def check_phenotype(participants: pd.DataFrame | None, scores: pd.DataFrame, columns: dict,
                    arms: dict[str, dict], sources: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows ``subject, session, file, check, status, message`` (see :mod:`trialmri.qc.inputs`).

    ``scores`` is the long scores table (:func:`trialmri.bids.scores.load_scores`: a column per
    score name); ``columns`` the config's ``phenotype`` block; ``arms`` maps ``dti`` / ``rsfmri`` to
    ``{"subjects": [...], "sessions": [...]}`` plus, optionally, ``group_column`` and the keys the
    arm's analyses read (``participant_keys``: phenotype.participants keys or column names;
    ``session_keys``: score names; default the study's). ``sources``: score name -> where it is read.
    """
    rows: list[dict] = []
    sources = sources or {}

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
            col = info.get("group_column") if key == "group" and info.get("group_column") else \
                columns["participants"].get(key, key)
            config_key = f"{arm}.groups.column" if key == "group" else f"phenotype.participants.{key}"
            add("n/a", "n/a", "participants.tsv", f"column {col}", col in participants,
                f"no column {col!r} for the {arm} arm; rename it or set {config_key}")
        table = scores.set_index(["participant_id", "session_id"])
        for name in ses_keys:
            where = sources.get(name, name)
            present = name in scores and scores[name].notna().any()
            add("n/a", "n/a", where.split(":")[0], f"score {name}", present,
                f"no value of score {name} ({where}) for any session; check config phenotype.scores.{name}")
            if not present:
                continue
            for sub in info["subjects"]:
                for ses in info["sessions"]:
                    key_ = (f"sub-{sub}", f"ses-{ses}")
                    value = table[name].get(key_) if key_ in table.index else None
                    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
                    ok = value is not None and pd.notna(number)
                    add(sub, ses, where.split(":")[0], f"{name} numeric", ok,
                        f"{name} ({where}) is {'missing' if value is None or pd.isna(value) else repr(value)} "
                        f"for sub-{sub} ses-{ses}; enter the number or n/a if it was not collected")
    return pd.DataFrame(rows, columns=COLUMNS)
