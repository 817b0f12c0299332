"""Tables as BIDS tools write them (tab-separated, ``n/a`` for missing, labels as text), the one row
shape of every QC table, and the exclusions table: who or what was left out of an analysis, and why.

Ground floor: used by every layer, uses nothing of trialmri's but :mod:`trialmri.atomic`; no nibabel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialmri.atomic import writing

# Columns that hold subject and session labels: always text (``001`` and ``290`` are labels, not numbers).
LABEL_COLUMNS = ("participant_id", "session_id", "subject", "session")


def write_tsv(path, table: pd.DataFrame) -> Path:
    """Tab-separated, ``n/a`` for missing values, no index (the BIDS tabular format)."""
    path = Path(path)
    with writing(path) as hidden:
        table.to_csv(hidden, sep="\t", index=False, na_rep="n/a", lineterminator="\n")
    return path


def read_tsv(path, text: bool = False) -> pd.DataFrame:
    """A BIDS TSV with ``n/a`` read as missing; labels (:data:`LABEL_COLUMNS`) stay strings, and
    with ``text`` every column does (participants.tsv: group values are text, ``1`` included)."""
    return pd.read_csv(path, sep="\t", na_values=["n/a"], keep_default_na=False,
                       dtype=str if text else dict.fromkeys(LABEL_COLUMNS, str))


# The QC tables: one row per check of one file.
COLUMNS = ["subject", "session", "file", "check", "status", "message"]
NO_SESSION = "n/a"  # the session of a file that belongs to none (the T1w, participants.tsv)


def qc_row(subject: str, session: str | None, file: str, check: str, ok: bool, message: str = "") -> dict:
    """A QC row; ``status`` is pass or fail, and only a failure keeps its message (what and how to fix)."""
    return {"subject": subject, "session": session or NO_SESSION, "file": file, "check": check,
            "status": "pass" if ok else "fail", "message": "" if ok else message}

# The exclusions table: who or what was left out of an analysis, and why.
EXCLUSION_COLUMNS = ["subject", "session", "step", "reason"]
INPUT_QC_STEP = "input_qc"  # the step of exclusions that come from failed input checks


def failed_input_checks(exclusions) -> dict[str, set[str]]:
    """``{subject: sessions}`` with a failed input check, from an exclusions table (a TSV path or
    its DataFrame; ``n/a``: a file of no session, e.g. the T1w). Labels are read as text (``01``
    stays ``01``)."""
    if not isinstance(exclusions, pd.DataFrame):
        exclusions = pd.read_csv(exclusions, sep="\t", dtype=str, keep_default_na=False)
    failed: dict[str, set[str]] = {}
    for row in exclusions[exclusions["step"] == INPUT_QC_STEP].itertuples():
        failed.setdefault(str(row.subject), set()).add(str(row.session))
    return failed


def session_failed(failed: set[str], session: str) -> bool:
    """Whether a session is out: it failed a check, or a file of no session (the T1w, session
    ``n/a``) did, which takes the whole subject out. ``failed``: one subject's sessions from
    :func:`failed_input_checks`."""
    return NO_SESSION in failed or session in failed
