"""The DTI group level from tables to files: the analysis table (rule build_dti_table: ΔMD per
subject and ROI, Winsorized, with Δscores and covariates), the models (rule fit_dti_models: OLS per
ROI x outcome, main and sensitivity models with their fit statistics, Table 2 as TSV and HTML, the
correlations of ΔMD with the Δscores per group, a JSON description beside each table) and the
Figure 1-2 panels (rule plot_dti_scatter). ΔMD in 10⁻³ mm²/s (MD_TABLE_UNITS), pre − post;
Δscore pre − post (positive = improvement)."""

from __future__ import annotations

import pandas as pd

from trialmri.bids.phenotype import by_subject
from trialmri.change_scatter import change_scatter
from trialmri.dwi.dti_table import analysis_table
from trialmri.dwi.dti_tests import MAIN_MODEL, correlations, fit_models, model_description, model_frame, table2
from trialmri.dwi.roi_md import MD_TABLE_UNITS
from trialmri.dwi.table2_html import write_table2_html
from trialmri.text_files import write_json
from trialmri.tables import write_tsv

# the files written, by key: the TSV/HTML tables, then the JSON sidecars
MODEL_FILES = ("main", "sensitivity", "table2", "table2_html", "correlations", "main_json", "sensitivity_json",
               "table2_json")


def table2_caption(table: pd.DataFrame, statistics: dict, groups: dict, description: dict) -> str:
    """Table 2's caption: the term and model, ΔMD version, n per group (``group`` coded 1 for the
    treatment, 0 for the control, one row per subject and ROI), the β scaling and the α of bold p."""
    people = table.drop_duplicates("subject")["group"]
    n = f"{groups['treatment']} n = {(people == 1).sum()}, {groups['control']} n = {(people == 0).sum()}"
    return (f"Table 2. The {statistics['table2_term']} term of {statistics['model']} per ROI and outcome "
            f"(ΔMD {statistics['delta_md']}; {n}), and with each covariate added. {description['beta']}. "
            f"Group: {description['variables']['group']}. p two-tailed; p < {statistics['alpha']} in bold.")


def write_dti_models(table: pd.DataFrame, statistics: dict, rois: dict, groups: dict, paths: dict) -> pd.DataFrame:
    """Fit and write every file of MODEL_FILES (``paths``: key -> path) from the analysis table;
    ``statistics``: config dti.statistics (outcomes with display names); ``rois``: config dti.rois
    (display ``label``); ``groups``: treatment and control labels. Returns Table 2's rows."""
    md_column = f"delta_md_{statistics['delta_md']}"
    outcomes = list(statistics["outcomes"])
    coefficients, models = fit_models(table, statistics["model"], outcomes, md_column, list(statistics["sensitivity"]))
    coefficients = coefficients.merge(models, on=["roi", "outcome", "model"])
    main = coefficients["model"] == MAIN_MODEL
    write_tsv(paths["main"], coefficients[main])
    write_tsv(paths["sensitivity"], coefficients[~main])
    rows = table2(coefficients, models, statistics["table2_term"])
    write_tsv(paths["table2"], rows)
    description = model_description(statistics, groups, MD_TABLE_UNITS)
    for key in ("main_json", "sensitivity_json", "table2_json"):
        write_json(paths[key], description)
    model_names = {MAIN_MODEL: statistics["model"]} | {c: "+ " + s.get("label", c)
                                                       for c, s in statistics["sensitivity"].items()}
    write_table2_html(paths["table2_html"], rows, {r: s.get("label", r) for r, s in rois.items()},
                      statistics["outcomes"], model_names, table2_caption(table, statistics, groups, description),
                      statistics["alpha"])
    order = [groups["treatment"], groups["control"]]
    write_tsv(paths["correlations"], correlations(table, outcomes, md_column, order))
    return rows


def dti_analysis_tables(roi_md: pd.DataFrame, scores: pd.DataFrame, participants: pd.DataFrame, subjects,
                        group_column: str, pre: str, post: str, groups: dict, phenotype: dict, statistics: dict):
    """The analysis table, the Winsorizing report and the exclusions (``analysis_table``) of the DTI
    ``subjects``, each in the group of participants.tsv's ``group_column``; ``phenotype``: config
    phenotype (its participants columns); ``statistics``: config dti.statistics."""
    group_of = by_subject(participants)[group_column]
    return analysis_table(
        roi_md, {s: group_of[s] for s in subjects}, participants, scores, pre=pre, post=post,
        treatment=groups["treatment"], outcomes={name: name for name in statistics["outcomes"]},
        covariates=statistics["sensitivity"], participant_columns=phenotype["participants"],
        winsorizing=statistics["winsorize"], min_coverage=statistics["min_roi_coverage"])


def plot_roi_scatter(table: pd.DataFrame, roi: str, outcome: str, statistics: dict, rois: dict, groups: dict,
                     png, svg):
    """Figure 1-2's panel of one ROI x outcome: Δscore against ΔMD per group (treatment, then
    control), titled with the ROI's label and the outcome's display name."""
    frame = model_frame(table, roi, outcome, f"delta_md_{statistics['delta_md']}")
    name = statistics["outcomes"][outcome]
    return change_scatter(frame, [groups["treatment"], groups["control"]], png, svg,
                          title=f"{rois[roi].get('label', roi)}: {name}",
                          xlabel=f"ΔMD ({statistics['delta_md']}, pre − post, {MD_TABLE_UNITS})",
                          ylabel=f"Δ{name} (pre − post; positive = improvement)")
