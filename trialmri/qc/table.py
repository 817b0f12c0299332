"""The one row shape of every QC table (subject, session, file, check, status, message), the
exclusions table's columns, and which subjects and sessions the input checks failed."""

from __future__ import annotations

import pandas as pd

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
