"""The DTI arm's tests (study 003): t-tests, OLS per ROI x outcome with sensitivity models,
Table 2 and per-group correlations, all on the analysis table of :mod:`trialmri.dwi.dti_table`.

Model variables are columns of a per-ROI, per-outcome frame: ``delta_score`` (Δ outcome, pre −
post), ``delta_md`` (the ΔMD column chosen in config, raw or Winsorized), ``group`` (1 treatment,
0 control) and each covariate by its config name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.stats.group_tests import TTEST_COLUMNS, independent_ttest, pearson_by_group
from trialmri.stats.ols import BETA_SCALING, COEFFICIENT_COLUMNS, fit_ols

MAIN_MODEL = "main"
MODEL_COLUMNS = ["roi", "outcome", "model", "formula", "n", "r2", "r2_adj", "note"]


def group_ttests(table: pd.DataFrame, outcomes, treatment: str, control: str) -> pd.DataFrame:
    """Treatment vs control: each Δ outcome (once per subject), and raw and Winsorized ΔMD per ROI."""
    rows = []
    subjects = table.drop_duplicates("subject")
    for name in outcomes:
        rows.append({"roi": "n/a"} | independent_ttest(subjects[f"delta_{name}"], subjects["group_label"],
                                                       treatment, control, f"delta_{name}"))
    for roi, part in table.groupby("roi", sort=False):
        for column in ("delta_md_raw", "delta_md_winsorized"):
            rows.append({"roi": roi} | independent_ttest(part[column], part["group_label"], treatment,
                                                         control, column))
    return pd.DataFrame(rows, columns=["roi", *TTEST_COLUMNS])


def model_frame(table: pd.DataFrame, roi: str, outcome: str, md_column: str) -> pd.DataFrame:
    """The rows of ``roi`` with the model's variable names (see module docstring)."""
    part = table[table["roi"] == roi]
    return part.assign(delta_score=part[f"delta_{outcome}"], delta_md=part[md_column])


def fit_models(table: pd.DataFrame, formula: str, outcomes, md_column: str,
               covariates) -> tuple[pd.DataFrame, pd.DataFrame]:
    """OLS of ``formula`` per ROI x outcome, then once more per covariate with ``+ covariate``.

    Returns (coefficients: one row per term of every model, models: one row per model with n and
    R²). ``model`` is ``main`` or the covariate's name. A model that cannot be fitted (too few
    complete rows, a constant covariate) gets one row of NaN and its reason in ``note``; the
    others are still fitted.
    """
    coefficients, models = [], []
    for roi in table["roi"].unique():
        for outcome in outcomes:
            frame = model_frame(table, roi, outcome, md_column)
            for model in (MAIN_MODEL, *covariates):
                f = formula if model == MAIN_MODEL else f"{formula} + {model}"
                key = {"roi": roi, "outcome": outcome, "model": model}
                try:
                    fit = fit_ols(frame, f)
                except ValueError as err:
                    coefficients.append(pd.DataFrame([key | dict.fromkeys(COEFFICIENT_COLUMNS, np.nan)
                                                      | {"term": "n/a"}]))
                    models.append(key | {"formula": f, "n": np.nan, "r2": np.nan, "r2_adj": np.nan,
                                         "note": str(err)})
                    continue
                coefficients.append(fit.coefficients.assign(**key))
                models.append(key | {"formula": f, "n": fit.n, "r2": fit.r2, "r2_adj": fit.r2_adj,
                                     "note": ""})
    coefs = pd.concat(coefficients, ignore_index=True)
    coefs = coefs[["roi", "outcome", "model", *COEFFICIENT_COLUMNS]]
    return coefs, pd.DataFrame(models, columns=MODEL_COLUMNS)


def table2(coefficients: pd.DataFrame, models: pd.DataFrame, term: str) -> pd.DataFrame:
    """Table 2: the ``term`` row (the ΔMD x group interaction) of every ROI x outcome x model,
    with the model's n and R² (NaN, with the reason in ``note``, where a model was not fitted).
    A term that no fitted model has is an error naming the models' terms."""
    if term not in set(coefficients["term"]) and (models["note"] == "").any():
        raise ValueError(f"no model has a term {term!r} (config dti.statistics.table2_term); the "
                         f"models' terms: {', '.join(coefficients['term'].unique())}")
    keys = ["roi", "outcome", "model"]
    rows = coefficients[coefficients["term"] == term][keys + ["term", "estimate", "se", "beta", "t", "df", "p"]]
    out = models.merge(rows, on=keys, how="left").assign(term=term)
    return out[[*keys, "term", "estimate", "se", "beta", "t", "df", "p", "n", "r2", "formula",
                "note"]].reset_index(drop=True)


def correlations(table: pd.DataFrame, outcomes, md_column: str, order) -> pd.DataFrame:
    """Post hoc Pearson r (Δ outcome vs ΔMD) per ROI x outcome x group."""
    frames = []
    for roi in table["roi"].unique():
        for outcome in outcomes:
            frame = model_frame(table, roi, outcome, md_column)
            by_group = pearson_by_group(frame["delta_md"], frame["delta_score"], frame["group_label"], order)
            frames.append(by_group.assign(roi=roi, outcome=outcome))
    out = pd.concat(frames, ignore_index=True)
    return out[["roi", "outcome", *[c for c in out.columns if c not in ("roi", "outcome")]]]


def model_description(statistics: dict, groups: dict, md_units: str) -> dict:
    """What the OLS tables hold and how every variable was scaled (their JSON sidecar)."""
    return {
        "Description": "OLS per ROI x outcome (study 003): main model, then one sensitivity model "
                       "per covariate (model = covariate name)",
        "formula": statistics["model"],
        "sensitivity_covariates": statistics["sensitivity"],
        "variables": {
            "delta_score": "clinical score pre - post (positive = improvement)",
            "delta_md": f"MD(pre) - MD(post) in {md_units}, {statistics['delta_md']} "
                        "(positive = lower MD after the infusion)",
            "group": f"1 = {groups['treatment']}, 0 = {groups['control']}",
        },
        "beta": BETA_SCALING,
        "winsorizing": statistics["winsorize"],
        "tests": "two-tailed; t with the model's residual df",
    }
