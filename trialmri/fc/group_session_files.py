"""Which rsfMRI sessions enter the group model, and the group mask, from files (rule
rs_group_sessions): the sessions table (``trialmri.fc.group_sessions.group_sessions``, with each
left-out session's reason) and the voxels inside every used session's brain mask; and each seed's
data table of those sessions (rule lme_table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trialmri.fc.group_sessions import group_mask, group_sessions, relative_to, seed_table
from trialmri.io import save_nifti
from trialmri.text_files import write_text
from trialmri.lme.afni_outputs import afni_data_table
from trialmri.lme.covariates import as_covariates
from trialmri.tables import read_tsv, write_tsv


def used_sessions_mask(mask_paths, used) -> tuple[np.ndarray, np.ndarray]:
    """The group mask (voxels inside every used session's mask) and its affine; all False, on the
    first session's grid, when no session is used (the group model then says it has nothing to fit)."""
    masks = [m for m, ok in zip(mask_paths, used) if ok]
    if masks:
        return group_mask(masks)
    mask, affine = group_mask(list(mask_paths)[:1])
    mask[:] = False
    return mask, affine


def write_group_sessions(session_keys, sidecar_paths, mask_paths, participant_tables, columns, groups, needed,
                         covariates, sessions_path, mask_path) -> list[str]:
    """The sessions table (TSV) and the group mask (uint8 NIfTI) of the group model; returns the
    lines to log: sessions used, each left out with its reason, rows lost per covariate.
    ``participant_tables``: [] or [path of participants.tsv]; ``covariates``: dicts {column, type}."""
    tables = list(participant_tables)
    participants = read_tsv(tables[0]) if tables else None
    covariates = as_covariates(covariates)
    sessions = group_sessions([tuple(k) for k in session_keys], sidecar_paths, participants, columns, groups,
                              needed, covariates)
    write_tsv(sessions_path, sessions)
    used = sessions["used"].to_numpy(bool)
    mask, affine = used_sessions_mask(mask_paths, used)
    lines = [] if used.any() else [f"no rsfMRI session is usable for the group model; see {sessions_path} for "
                                   "each session's reason"]
    save_nifti(mask_path, mask.astype(np.uint8), affine, dtype=np.uint8)
    lines.append(f"{used.sum()} of {len(used)} sessions in the group model "
                 f"({sessions[used]['subject'].nunique()} subjects); group mask {int(mask.sum())} voxels")
    lines += [f"  left out: sub-{row.subject} ses-{row.session}: {row.reason}" for row in sessions[~used].itertuples()]
    for cov in covariates:
        missing = sessions["reason"].str.startswith(f"covariate {cov.column!r} missing")
        lines.append(f"covariate {cov.column} ({cov.type}): {int(missing.sum())} session(s) left out for a missing "
                     "value")
    return lines


def write_seed_tables(sessions_path, session_keys, map_paths, variables, qvars, table_out, afni_table_out,
                      seed: str) -> str:
    """One seed's data table of the used sessions (``seed_table``: one row per map, ``variables``
    as columns) -> ``table_out`` (TSV) and, in 3dLME's ``-dataTable`` form, ``afni_table_out``.
    Map paths are written relative to each table's folder: 3dLME reads InputFile relative to where
    it runs (run_3dlme runs it there), and relative paths hold only BIDS names, so the folders above
    may have spaces or quotes. ``session_keys``: ``[subject, session]`` of each path in
    ``map_paths``. Returns the line to log."""
    sessions = read_tsv(sessions_path)  # labels as text (tables.LABEL_COLUMNS)
    maps = {tuple(key): path for key, path in zip(session_keys, map_paths)}
    variables = list(variables)
    table = seed_table(sessions, maps, variables)
    write_tsv(table_out, relative_to(table, Path(table_out).parent))
    afni = relative_to(table, Path(afni_table_out).parent)
    write_text(afni_table_out, afni_data_table(afni, "subject", variables, qvars))
    return f"seed {seed}: {len(table)} maps of {table['subject'].nunique()} subjects"
