"""The one row shape of every QC table (subject, session, file, check, status, message), the
exclusions table's columns, and which subjects and sessions the input checks failed."""

from __future__ import annotations

import pandas as pd

COLUMNS = ["subject", "session", "file", "check", "status", "message"]


def qc_row(subject: str, session: str | None, file: str, check: str, ok: bool, message: str = "") -> dict:
    """A QC row; ``status`` is pass or fail, and only a failure keeps its message (what and how to fix)."""
    return {"subject": subject, "session": session or "n/a", "file": file, "check": check,
            "status": "pass" if ok else "fail", "message": "" if ok else message}

# The exclusions table: who or what was left out of an analysis, and why.
EXCLUSION_COLUMNS = ["subject", "session", "step", "reason"]
INPUT_QC_STEP = "input_qc"  # the step of exclusions that come from failed input checks


def failed_input_checks(exclusions_tsv) -> dict[str, set[str]]:
    """``{subject: sessions}`` with a failed input check, from an exclusions table (``n/a``: a file
    of no session, e.g. the T1w). Labels are read as text (``01`` stays ``01``)."""
    table = pd.read_csv(exclusions_tsv, sep="\t", dtype=str, keep_default_na=False)
    failed: dict[str, set[str]] = {}
    for row in table[table["step"] == INPUT_QC_STEP].itertuples():
        failed.setdefault(row.subject, set()).add(row.session)
    return failed
