"""File level of ``trialmri roi-lme``: a long table (TSV, one row per observation) in, the Type III
ANOVA with Satterthwaite df out, plus coefficients, marginal means and the fit facts.

For ``--out R.tsv`` (the stem is the path without ``.tsv``):

- ``R.tsv``: one row per term: ``term, F, df_num, df_den, p`` (R's term labels, ``group:treatment``);
- ``R_coefficients.tsv``: ``coefficient, term, estimate, se, df, t, p`` (sum-to-zero coding, R's
  names under ``contr.sum``: ``group1``, ``group1:treatment1``);
- ``R_emmeans.tsv``: one row per cell of the marginal-means factors: ``emmean, se, df, ci_low, ci_high``
  (95 %, Satterthwaite df);
- ``R.json``: formula, rows and subjects used, rows dropped for missing values, factor levels in
  coding order, variance components, engine and version.

Columns that are numbers in every row are quantitative (as R reads them) unless named in
``factors``; other columns are factors.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialmri import __version__
from trialmri.errors import InputError
from trialmri.text_files import write_json
from trialmri.tables import write_tsv
from trialmri.stats.roi_lme import RoiLmeFit, fit_roi_lme, split_formula
from trialmri.table_inputs import read_table as read_text_table

ENGINE = "trialmri native (statsmodels MixedLM REML; lmerTest Type III and Satterthwaite df)"


def output_paths(out) -> dict[str, Path]:
    """The files written for ``--out``: anova, coefficients, emmeans, json."""
    out = Path(out)
    stem = out.with_suffix("") if out.suffix == ".tsv" else out
    return {"anova": out if out.suffix == ".tsv" else out.with_suffix(".tsv"),
            "coefficients": Path(f"{stem}_coefficients.tsv"), "emmeans": Path(f"{stem}_emmeans.tsv"),
            "json": Path(f"{stem}.json")}


def quantitative_columns(table: pd.DataFrame, formula: str, factors=()) -> list[str]:
    """Model variables whose every non-missing value is a number, except those in ``factors``."""
    from trialmri.stats.formula import parse_formula

    variables = {v for term in parse_formula(split_formula(formula)[1]) for v in term}
    out = []
    for v in sorted(variables & set(table.columns)):
        values = table[v].dropna()
        if v not in factors and len(values) and pd.to_numeric(values, errors="coerce").notna().all():
            out.append(v)
    return out


def read_table(path) -> pd.DataFrame:
    """The long table, every column as text (``n/a``, ``NA``, ``nan`` and empty cells missing)."""
    return read_text_table(path, "--table", dtype=str, keep_default_na=False, na_values=["", "n/a", "NA", "nan"])


def write_fit(fit: RoiLmeFit, out) -> dict[str, Path]:
    paths = output_paths(out)
    write_tsv(paths["anova"], fit.anova)
    write_tsv(paths["coefficients"], fit.coefficients)
    write_tsv(paths["emmeans"], fit.emmeans)
    write_json(paths["json"], {**fit.info, "engine": ENGINE, "version": __version__})
    return paths


def run_roi_lme_files(table_path, formula: str, random: str, out, factors=(), emmeans_by=None,
                      center=()) -> RoiLmeFit:
    """Read ``table_path``, fit, write the outputs of ``--out``; errors name the table. ``center``:
    quantitative variables centred at their mean over the model's rows."""
    try:
        split_formula(formula)
    except ValueError as err:
        raise InputError(f"--formula: {err}") from None
    table = read_table(table_path)
    for option, names in (("--factors", factors), ("--center", center), ("--emmeans", emmeans_by or ())):
        for name in names:
            if name not in table.columns:
                raise InputError(f"{option} {name}: not a column of --table {table_path} (columns: "
                                 f"{', '.join(map(str, table.columns))})")
    try:
        fit = fit_roi_lme(table, formula, random, quantitative_columns(table, formula, factors), emmeans_by,
                          center)
    except ValueError as err:
        raise InputError(f"--table {table_path}: {err}") from err
    write_fit(fit, out)
    return fit
