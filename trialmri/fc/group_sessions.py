"""Which rsfMRI sessions enter the voxelwise group model, and its variables per session.

Variables (the names the group formula uses): ``group`` (participants.tsv, e.g. HV / TRD),
``treatment`` (the session label, e.g. ketamine / placebo), ``order`` (the infusion order in
participants.tsv, e.g. KP / PK), and the covariates (``trialmri.lme.covariates``: participants.tsv
columns, one column each after ``order``). A session is left out, with its reason, when the
subject-level step excluded it, a variable the formula needs is missing or not a configured
label, or a covariate is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from trialmri.bids.phenotype import by_subject
from trialmri.lme.covariates import as_covariates, subject_values
from trialmri.stats.formula import parse_formula

VARIABLES = ("group", "treatment", "order")
SESSION_COLUMNS = ["subject", "session", *VARIABLES, "used", "reason"]  # covariates come before used


def formula_variables(formula: str) -> list[str]:
    """The model variables ``formula`` uses; an unknown name is an error naming the known ones."""
    used = list(dict.fromkeys(v for term in parse_formula(formula) for v in term))
    unknown = [v for v in used if v not in VARIABLES]
    if unknown:
        raise ValueError(f"rsfMRI group formula {formula!r} uses {', '.join(unknown)}; the variables are "
                         f"{', '.join(VARIABLES)}")
    return used


def model_terms(formula: str) -> list[str]:
    """The terms of ``formula`` as R labels them (``group:treatment``), in R's order."""
    return [":".join(term) for term in parse_formula(formula)]


def group_sessions(keys, sidecars, participants: pd.DataFrame | None, columns: dict, groups,
                   needed, covariates=()) -> pd.DataFrame:
    """One row per (subject, session) of ``keys``: the variables, the covariates, ``used`` and
    ``reason``.

    ``sidecars``: each session's seed-map sidecar (its ``Excluded``); ``columns``: participants.tsv
    column of ``group`` and ``order``; ``groups``: the configured group labels; ``covariates``:
    ``Covariate``s (or their params dicts) of the group model.
    """
    people = by_subject(participants) if participants is not None else pd.DataFrame()
    covariates = as_covariates(covariates)
    if covariates and participants is None:
        raise ValueError("the group model has covariates but the dataset has no participants.tsv")
    subjects = [subject for subject, _ in keys]
    values = {c.column: subject_values(participants, subjects, c) for c in covariates}
    rows = []
    for (subject, session), sidecar in zip(keys, sidecars):
        excluded = json.loads(Path(sidecar).read_text()).get("Excluded")
        row = {"subject": subject, "session": session, "treatment": session}
        for var in ("group", "order"):
            col = columns[var]
            value = people.at[subject, col] if subject in people.index and col in people.columns else None
            row[var] = None if pd.isna(value) else str(value)
        reason = ""
        if excluded:
            reason = f"excluded at subject level: {excluded}"
        elif "group" in needed and row["group"] not in groups:
            reason = (f"group {row['group']!r} in participants.tsv column {columns['group']!r} is not one of "
                      f"the configured groups {list(groups)}")
        elif "order" in needed and row["order"] is None:
            reason = f"infusion order missing in participants.tsv column {columns['order']!r}"
        for cov in covariates:
            row[cov.column] = values[cov.column].iloc[len(rows)]
            if not reason and pd.isna(row[cov.column]):
                reason = f"covariate {cov.column!r} missing in participants.tsv"
        rows.append({**row, "used": not reason, "reason": reason})
    order = [*SESSION_COLUMNS[:-2], *(c.column for c in covariates), *SESSION_COLUMNS[-2:]]
    return pd.DataFrame(rows, columns=order)


def covariate_columns(sessions: pd.DataFrame) -> list[str]:
    """The covariate columns of a sessions table (every column besides ``SESSION_COLUMNS``)."""
    return [c for c in sessions.columns if c not in SESSION_COLUMNS]


def group_mask(mask_paths) -> tuple[np.ndarray, np.ndarray]:
    """Voxels inside every listed session's brain mask (all on one grid), and the affine."""
    import nibabel as nib  # here, not at the top: the workflow imports this module to parse

    first = nib.load(mask_paths[0])
    mask = np.ones(first.shape[:3], bool)
    for path in mask_paths:
        img = nib.load(path)
        if img.shape[:3] != first.shape[:3] or not np.allclose(img.affine, first.affine, atol=1e-3):
            raise ValueError(f"{path} is not on the grid of {mask_paths[0]}; every session's BOLD must share "
                             "the template grid")
        mask &= np.asarray(img.dataobj).reshape(first.shape[:3]) > 0
    return mask, first.affine


def seed_table(sessions: pd.DataFrame, maps: dict, variables) -> pd.DataFrame:
    """The 3dLME-style data table of one seed: subject, variables, the covariates of ``sessions``,
    InputFile (absolute paths).

    ``maps``: {(subject, session): z-map path} for every session; only ``used`` rows enter.
    """
    used = sessions[sessions["used"].astype(str).str.lower() == "true"]
    table = used[["subject", *variables, *covariate_columns(sessions)]].copy()
    table["InputFile"] = [str(Path(maps[(s, ses)]).resolve()) for s, ses in zip(used["subject"], used["session"])]
    return table.reset_index(drop=True)


def relative_to(table: pd.DataFrame, folder) -> pd.DataFrame:
    """``table`` with InputFile relative to ``folder`` (a table that moves with its maps)."""
    folder = Path(folder).resolve()
    return table.assign(InputFile=[os.path.relpath(f, folder) for f in table["InputFile"]])

