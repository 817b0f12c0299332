"""participants.tsv and per-session phenotype tables, with column names mapped from config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialmri.tables import read_tsv


def load_participants(bids_dir) -> pd.DataFrame | None:
    """participants.tsv as a table of text (``n/a`` -> missing; numbers are converted where a
    column is used as one), or None if the dataset has none."""
    path = Path(bids_dir) / "participants.tsv"
    if not path.exists():
        return None
    table = read_tsv(path, text=True)
    if "participant_id" not in table:
        raise ValueError(f"{path} has no participant_id column (BIDS requires it)")
    return table


def labels(ids: pd.Series, prefix: str) -> pd.Series:
    """BIDS identifiers as labels: ``sub-01`` -> ``01`` (``prefix`` "sub-" or "ses-")."""
    return ids.astype(str).str.removeprefix(prefix)


def by_subject(participants: pd.DataFrame) -> pd.DataFrame:
    """participants.tsv indexed by subject label (``participant_id`` without ``sub-``)."""
    return participants.set_index(labels(participants["participant_id"], "sub-").rename("subject"))


def load_sessions(paths) -> pd.DataFrame:
    """``sub-*_sessions.tsv`` files in one long table with a ``participant_id`` column
    (taken from each file's folder, ``sub-<label>``)."""
    frames = []
    for path in sorted(Path(p) for p in paths):
        table = read_tsv(path)
        table.insert(0, "participant_id", path.parent.name)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["participant_id", "session_id"])
    return pd.concat(frames, ignore_index=True)


def sessions_tables(bids_dir, subjects) -> list[str]:
    """Paths of the ``sub-<label>_sessions.tsv`` files that exist for ``subjects``."""
    paths = (Path(bids_dir) / f"sub-{s}" / f"sub-{s}_sessions.tsv" for s in subjects)
    return [str(p) for p in paths if p.exists()]


def transformed_name(column: str, transform: str) -> str:
    """Column of the transformed values: ``log_crp`` for ``crp`` under ``log``."""
    return column if transform == "none" else f"{transform}_{column}"
