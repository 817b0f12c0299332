"""The one row shape of every QC table: subject, session, file, check, status, message."""

from __future__ import annotations

COLUMNS = ["subject", "session", "file", "check", "status", "message"]


def qc_row(subject: str, session: str | None, file: str, check: str, ok: bool, message: str = "") -> dict:
    """A QC row; ``status`` is pass or fail, and only a failure keeps its message (what and how to fix)."""
    return {"subject": subject, "session": session or "n/a", "file": file, "check": check,
            "status": "pass" if ok else "fail", "message": "" if ok else message}

# The exclusions table: who or what was left out of an analysis, and why.
EXCLUSION_COLUMNS = ["subject", "session", "step", "reason"]
