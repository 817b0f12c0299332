"""Covariates of the rsfMRI group and follow-up models (config ``rsfmri.group_model.covariates``,
``rsfmri.followup.covariates``): participants.tsv columns (one value per subject) added to a
model's formula as main effects, ``formula + " + age + race"``.

A covariate is a column name, or ``{column: race, type: categorical}`` (type ``quantitative`` or
``categorical``). Without a type, a column whose non-missing values in participants.tsv are all
numbers is quantitative, any other is categorical.

Quantitative covariates are centred at their mean over the rows of the model's data table (one
row per map or observation, so a subject with two sessions counts twice): what 3dLME does with
``-qVars`` and no ``-qVarCenters`` (AFNI ``src/R_scripts/3dLME.R`` at commit 90ce18f, lines 1464-1466:
``scale(lop$dataStr[,lop$QV], center=TRUE, scale=F)``, ``dataStr`` the ``-dataTable`` rows).
Categorical covariates are factors, coded as every factor is (``trialmri.stats.formula``, contr.sum).
A row whose subject has no value of a covariate leaves that model (counted, never imputed).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

QUANTITATIVE, CATEGORICAL = "quantitative", "categorical"
MODEL_VARIABLES = ("subject", "session", "group", "treatment", "order")


@dataclass(frozen=True)
class Covariate:
    column: str
    type: str  # QUANTITATIVE or CATEGORICAL

    @property
    def quantitative(self) -> bool:
        return self.type == QUANTITATIVE


def _is_numeric(values: pd.Series) -> bool:
    values = values.dropna()
    return bool(len(values)) and bool(pd.to_numeric(values, errors="coerce").notna().all())


def resolve_covariates(specs, participants: pd.DataFrame | None, where: str) -> list[Covariate]:
    """The covariates of config ``where`` (its list) with their types, checked against
    participants.tsv (``None``: not read, e.g. when linting; an untyped column is then taken as
    quantitative). Errors name ``where``, the column and the fix."""
    from trialmri.stats.formula import _NAME

    out: list[Covariate] = []
    for spec in specs or []:
        column, kind = (spec, None) if isinstance(spec, str) else (spec.get("column"), spec.get("type"))
        if not isinstance(column, str) or not _NAME.match(column):
            raise ValueError(f"config {where}: {column!r} is not a column name a formula can use "
                             "(letters, digits, '_' and '.', starting with a letter)")
        if column in MODEL_VARIABLES:
            raise ValueError(f"config {where}: covariate {column!r} clashes with a model variable "
                             f"({', '.join(MODEL_VARIABLES)}); rename the participants.tsv column")
        if column in [c.column for c in out]:
            raise ValueError(f"config {where}: covariate {column!r} is listed twice")
        if kind not in (None, QUANTITATIVE, CATEGORICAL):
            raise ValueError(f"config {where}: covariate {column!r} has type {kind!r}; use "
                             f"{QUANTITATIVE} or {CATEGORICAL}")
        if participants is not None:
            if column not in participants.columns:
                raise ValueError(f"config {where}: covariate {column!r} is not a column of participants.tsv "
                                 f"(columns: {', '.join(map(str, participants.columns))})")
            numeric = _is_numeric(participants[column])
            if kind == QUANTITATIVE and not numeric:
                bad = participants[column].dropna()
                bad = bad[pd.to_numeric(bad, errors="coerce").isna()]
                raise ValueError(f"config {where}: covariate {column!r} is quantitative but participants.tsv "
                                 f"has the value {bad.iloc[0] if len(bad) else 'none'!r}; fix it or declare "
                                 f"{{column: {column}, type: {CATEGORICAL}}}")
            kind = kind or (QUANTITATIVE if numeric else CATEGORICAL)
        out.append(Covariate(column, kind or QUANTITATIVE))
    return out


def as_covariates(items) -> list[Covariate]:
    """Covariates from their Snakemake params form (dicts ``{column, type}``) or as they are."""
    return [c if isinstance(c, Covariate) else Covariate(c["column"], c["type"]) for c in items or []]


def with_covariates(formula: str, covariates) -> str:
    """``formula`` with each covariate added as a main effect."""
    return " + ".join([formula, *(c.column for c in as_covariates(covariates))])


def quantitative_names(covariates) -> list[str]:
    return [c.column for c in as_covariates(covariates) if c.quantitative]


def subject_values(participants: pd.DataFrame, subjects, covariate: Covariate) -> pd.Series:
    """Each of ``subjects``' (labels without ``sub-``) value of ``covariate``: numbers for a
    quantitative one, text for a categorical one, NA where participants.tsv has none."""
    from trialmri.bids.phenotype import by_subject

    people = by_subject(participants)
    values = people[covariate.column].reindex(pd.Index(subjects).astype(str))
    if covariate.quantitative:
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & numbers.isna()
        if bad.any():
            raise ValueError(f"covariate {covariate.column!r} is quantitative but participants.tsv has "
                             f"{values[bad].iloc[0]!r} for sub-{values.index[bad][0]}")
        return numbers.reset_index(drop=True)
    text = values.map(lambda v: v if pd.isna(v) else str(int(v)) if isinstance(v, float) and v.is_integer()
                      else str(v))
    return text.astype("string").reset_index(drop=True)


def add_covariates(table: pd.DataFrame, participants: pd.DataFrame, covariates) -> tuple[pd.DataFrame, dict]:
    """``table`` (a ``subject`` column) with one column per covariate from participants.tsv, rows
    whose subject has no value of one left out; also {covariate: rows left out for it}."""
    table = table.reset_index(drop=True)
    keep = pd.Series(True, index=table.index)
    dropped = {}
    for cov in as_covariates(covariates):
        if cov.column in table.columns:
            raise ValueError(f"covariate {cov.column!r} is already a column of the model's table; rename "
                             "the participants.tsv column")
        table[cov.column] = subject_values(participants, table["subject"], cov).to_numpy()
        missing = table[cov.column].isna()
        dropped[cov.column] = int((missing & keep).sum())
        keep &= ~missing
    return table[keep].reset_index(drop=True), dropped


def dropped_message(dropped: dict, table: pd.DataFrame, what: str = "rows") -> str | None:
    """One line counting the rows left out for a missing covariate, or None when none were."""
    if not any(dropped.values()):
        return None
    parts = ", ".join(f"{column} {n}" for column, n in dropped.items() if n)
    return (f"{sum(dropped.values())} {what} left out for a covariate missing in participants.tsv "
            f"({parts}); {len(table)} remain")
