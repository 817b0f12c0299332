"""Clinical scores from wherever BIDS keeps them, in one long table.

Config ``phenotype.scores`` names each score and says where it is (session labels without ``ses-``)::

    madrs:      {table: phenotype/madrs.tsv, columns: {pre: madrs_pre, post: madrs_24h}}  # wide
    qids_sr:    {table: phenotype/qids.tsv, column: qids_sr}     # long: participant_id, session_id
    crp_day1:   {table: sessions, column: crp_day1}              # the sub-*_sessions.tsv files

``table`` is relative to the BIDS root. :func:`check_score_specs` checks the files and columns when
the workflow loads (standard library only); :func:`load_scores` builds the table the analyses read:
``participant_id`` (``sub-<label>``), ``session_id`` (``ses-<label>``), one column per score,
``n/a`` missing. Labels stay strings (``001`` is not ``1``). :func:`score_metadata` gathers the
``Units``/``Description`` of each column from the tables' JSON sidecars.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

SESSIONS = "sessions"  # the table key of the per-subject sub-*_sessions.tsv files


def score_specs(phenotype: dict) -> dict[str, dict]:
    """``phenotype.scores``, with the pre-0.3 ``phenotype.sessions`` (name -> column of the
    sessions files) read as ``{table: sessions, column: ...}``; ``scores`` wins a clash."""
    legacy = {name: {"table": SESSIONS, "column": column}
              for name, column in (phenotype.get("sessions") or {}).items()}
    return {**legacy, **(phenotype.get("scores") or {})}


def legacy_message(phenotype: dict) -> str:
    """A note for configs that still use ``phenotype.sessions`` (empty when they do not)."""
    old = phenotype.get("sessions") or {}
    if not old:
        return ""
    example = ", ".join(f"{n}: {{table: sessions, column: {c}}}" for n, c in list(old.items())[:2])
    return (f"config phenotype.sessions is read as phenotype.scores ({example}, ...); write the "
            "scores there, where a score can also come from a phenotype/ table")


def session_label(key) -> str:
    return str(key).removeprefix("ses-")


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle, delimiter="\t"), [])


def check_score_specs(bids_dir, specs: dict[str, dict]) -> list[str]:
    """Problems with the score tables (one message each, naming the config key and the fix):
    a table file that is not there, a column it lacks, a long table without ``session_id``."""
    problems = []
    for name, spec in specs.items():
        key = f"phenotype.scores.{name}"
        if spec["table"] == SESSIONS:
            if "columns" in spec:
                problems.append(f"config {key}: the sessions tables are long (one row per session); "
                                "give column, not columns")
            continue
        path = Path(bids_dir) / spec["table"]
        if not path.is_file():
            problems.append(f"config {key}.table: {path} does not exist; give the table's path "
                            "relative to bids_dir (e.g. phenotype/madrs.tsv) or 'sessions'")
            continue
        try:
            header = _header(path)
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"config {key}.table: {path} cannot be read as a TSV ({err})")
            continue
        wanted = ["participant_id"] + list(spec.get("columns", {}).values())
        if "column" in spec:
            wanted += ["session_id", spec["column"]]
        absent = [c for c in wanted if c not in header]
        if absent:
            hint = ("a long table needs participant_id and session_id; for one row per "
                    "participant give columns: {session: column}" if "session_id" in absent else
                    f"its columns are {', '.join(header)}")
            problems.append(f"config {key}: {path} has no column {', '.join(map(repr, absent))}; {hint}")
    return problems


def score_tables(bids_dir, specs: dict[str, dict], sessions_files) -> list[str]:
    """The files the scores are read from (a rule's inputs)."""
    files = {str(Path(bids_dir) / s["table"]) for s in specs.values() if s["table"] != SESSIONS}
    if any(s["table"] == SESSIONS for s in specs.values()):
        files |= set(map(str, sessions_files))
    return sorted(files)


def _sidecar(bids_dir, spec: dict) -> dict:
    """The JSON sidecar of a score table (``sessions.json`` at the root for the sessions files)."""
    table = Path(bids_dir) / ("sessions.tsv" if spec["table"] == SESSIONS else spec["table"])
    path = table.with_suffix(".json")
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); fix or remove it") from err


def score_metadata(bids_dir, specs: dict[str, dict]) -> dict[str, dict]:
    """Per score: ``Source`` (table and columns) and, where its sidecar describes the column (the
    first column of a wide score), ``Description``, ``Units`` and ``LongName``."""
    meta = {}
    for name, spec in specs.items():
        columns = [spec["column"]] if "column" in spec else list(spec["columns"].values())
        where = ("sub-*_sessions.tsv" if spec["table"] == SESSIONS else spec["table"])
        source = spec["column"] if "column" in spec else ", ".join(
            f"{c} (ses-{session_label(s)})" for s, c in spec["columns"].items())
        entry = {"Source": f"{where}: {source}"}
        described = _sidecar(bids_dir, spec)
        for column in columns:
            info = described.get(column)
            if isinstance(info, dict):
                entry.update({k: info[k] for k in ("LongName", "Description", "Units") if k in info})
                break
        meta[name] = entry
    return meta


def labelled(label: str, meta: dict) -> str:
    """A display label with the score's units where its sidecar gives them: ``CRP (mg/L)``."""
    units = meta.get("Units")
    return f"{label} ({units})" if units and f"({units})" not in label else label


def _one_score(bids_dir, name: str, spec: dict, sessions):
    """``participant_id, session_id, <name>`` rows of one score."""
    import pandas as pd

    from trialmri.tables import read_tsv

    if spec["table"] == SESSIONS:
        table, where = sessions, "sub-*_sessions.tsv"
        if spec["column"] not in table:
            return pd.DataFrame(columns=["participant_id", "session_id", name])
    else:
        where = str(Path(bids_dir) / spec["table"])
        table = read_tsv(where)
    table = table.assign(participant_id="sub-" + table["participant_id"].astype(str).str.removeprefix("sub-"))
    if "columns" in spec:
        dupes = table["participant_id"][table["participant_id"].duplicated()]
        if not dupes.empty:
            raise ValueError(f"{where}: {', '.join(sorted(set(dupes)))} on more than one row; a wide "
                             f"table (config phenotype.scores.{name}.columns) has one row per participant")
        long = [table[["participant_id"]].assign(session_id=f"ses-{session_label(ses)}",
                                                 **{name: table[column]})
                for ses, column in spec["columns"].items()]
        return pd.concat(long, ignore_index=True)
    table = table.assign(session_id="ses-" + table["session_id"].astype(str).str.removeprefix("ses-"))
    out = table[["participant_id", "session_id", spec["column"]]].rename(columns={spec["column"]: name})
    dupes = out[["participant_id", "session_id"]].duplicated()
    if dupes.any():
        first = out[dupes].iloc[0]
        raise ValueError(f"{where}: {first.participant_id} {first.session_id} on more than one row; "
                         "a long table has one row per participant and session")
    return out


def load_scores(bids_dir, specs: dict[str, dict], sessions_files=()):
    """One row per participant and session found in any score table, a column per score."""
    import pandas as pd

    from trialmri.bids.phenotype import load_sessions

    sessions = load_sessions(sessions_files)
    keys = ["participant_id", "session_id"]
    table = pd.DataFrame(columns=keys)
    for name, spec in specs.items():
        table = table.merge(_one_score(bids_dir, name, spec, sessions), on=keys, how="outer")
    table = table[keys + list(specs)]
    return table.sort_values(keys, kind="stable").reset_index(drop=True)
