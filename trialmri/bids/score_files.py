"""Every clinical score in one long table from files (rule collect_scores): one row per participant
and session, a column per score (config phenotype.scores), and its JSON sidecar (each score's
description, units and source table, as the score tables' sidecars give them)."""

from __future__ import annotations

from trialmri.bids.scores import load_scores
from trialmri.text_files import write_json
from trialmri.tables import write_tsv

KEY_COLUMNS = {"participant_id": {"Description": "subject (sub-<label>)"},
               "session_id": {"Description": "session (ses-<label>)"}}


def write_scores(bids_dir, specs: dict[str, dict], sessions_files, metadata: dict, table_path, sidecar_path) -> str:
    """The scores table (TSV) and its sidecar (KEY_COLUMNS, then ``metadata``: score -> its JSON
    entry with ``Source``); returns the log line."""
    table = load_scores(bids_dir, specs, sessions_files)
    write_tsv(table_path, table)
    write_json(sidecar_path, {**KEY_COLUMNS, **metadata})
    sources = "; ".join(f"{name} from {meta['Source']}" for name, meta in metadata.items())
    return (f"{len(specs)} scores over {table['participant_id'].nunique()} participants and {len(table)} sessions: "
            f"{sources}")
