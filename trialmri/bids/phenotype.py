"""participants.tsv and per-session phenotype tables, with column names mapped from config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialmri.io import read_tsv


def load_participants(bids_dir) -> pd.DataFrame | None:
    """participants.tsv as a table (``n/a`` -> missing), or None if the dataset has none."""
    path = Path(bids_dir) / "participants.tsv"
    if not path.exists():
        return None
    table = read_tsv(path)
    if "participant_id" not in table:
        raise ValueError(f"{path} has no participant_id column (BIDS requires it)")
    return table


def load_sessions(bids_dir) -> pd.DataFrame:
    """All ``sub-*/sub-*_sessions.tsv`` rows in one long table with a ``participant_id`` column."""
    frames = []
    for path in sorted(Path(bids_dir).glob("sub-*/sub-*_sessions.tsv")):
        table = read_tsv(path)
        table.insert(0, "participant_id", path.parent.name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["participant_id", "session_id"])
