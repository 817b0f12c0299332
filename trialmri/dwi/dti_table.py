"""The DTI arm's analysis table: ΔMD per subject and ROI, Winsorized, with Δscores and covariates.

One row per subject x ROI (long, the form R and statsmodels read):

``subject, group_label, group, roi, md_pre, md_post, delta_md_raw, delta_md_winsorized,
delta_<outcome>..., <covariate>...``

- MD in 10⁻³ mm²/s; ΔMD = MD(pre) − MD(post) (positive = lower MD after the infusion);
- Δscore = score(pre) − score(post) (positive = improvement);
- ``group`` = 1 for the treatment arm (ketamine), 0 for the control arm (vehicle);
- Winsorizing is per ROI over all subjects of both groups (:mod:`trialmri.stats.winsorize`);
- covariates: ``baseline_md`` = MD(pre) of the row's ROI, or a participants.tsv column, coded
  0/1 against a reference level or by a threshold (``at_least``), or numeric as given.

Every subject or value left out is an exclusion row (subject, session, step, reason).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.bids.phenotype import by_subject, labels
from trialmri.tables import EXCLUSION_COLUMNS
from trialmri.stats.winsorize import winsorize

STEP = "dti_group"
WINSOR_COLUMNS = ["roi", "method", "k", "lower", "upper", "n", "low", "high", "n_low", "n_high",
                  "n_changed"]


def _exclusion(subject, session, reason) -> dict:
    return {"subject": subject, "session": session, "step": STEP, "reason": reason}


def delta_md(roi_md: pd.DataFrame, subjects: dict[str, str], pre: str, post: str,
             min_coverage: float) -> tuple[pd.DataFrame, list[dict]]:
    """ΔMD per subject and ROI from the long ROI table (``subject, session, roi, md, coverage``).

    ``subjects`` maps every DTI subject to its group label. A subject without both sessions, or an
    ROI value whose coverage is below ``min_coverage``, gives NaN and an exclusion row.
    """
    columns = ["subject", "group_label", "roi", "md_pre", "md_post", "delta_md_raw"]
    keyed = roi_md[roi_md["session"].isin([pre, post])]
    sessions_of = keyed.groupby("subject")["session"].agg(set).to_dict()
    excluded, complete = [], []
    for subject in subjects:
        missing = [s for s in (pre, post) if s not in sessions_of.get(subject, set())]
        if missing:
            excluded.append(_exclusion(subject, ",".join(missing), f"no MD map for session "
                                       f"{' and '.join(missing)}: ΔMD needs both {pre} and {post}"))
        else:
            complete.append(subject)
    if not complete:
        return pd.DataFrame(columns=columns), excluded
    part = keyed[keyed["subject"].isin(complete)].assign(
        subject=lambda t: pd.Categorical(t["subject"], categories=complete),
        roi=lambda t: pd.Categorical(t["roi"], categories=list(dict.fromkeys(roi_md["roi"]))))
    md = part.pivot(index=["subject", "roi"], columns="session", values="md")
    coverage = part.pivot(index=["subject", "roi"], columns="session", values="coverage")
    low = coverage < min_coverage
    for (subject, roi), row in coverage[low.any(axis=1)].iterrows():
        for ses in (pre, post):
            if row[ses] < min_coverage:
                excluded.append(_exclusion(subject, ses, f"ROI {roi}: only {row[ses]:.0%} of its voxels "
                                           f"have an MD value (< {min_coverage:.0%}, config "
                                           "dti.statistics.min_roi_coverage)"))
    md = md.mask(low)
    table = pd.DataFrame({"subject": md.index.get_level_values("subject").astype(str),
                          "group_label": [subjects[s] for s in md.index.get_level_values("subject")],
                          "roi": md.index.get_level_values("roi").astype(str),
                          "md_pre": md[pre].to_numpy(), "md_post": md[post].to_numpy()})
    table["delta_md_raw"] = table["md_pre"] - table["md_post"]
    return table[columns], excluded


def winsorize_by_roi(table: pd.DataFrame, method: str, k: float, lower: float,
                     upper: float) -> tuple[pd.Series, pd.DataFrame]:
    """Winsorized ``delta_md_raw`` per ROI (aligned with ``table``) and a report per ROI."""
    out = pd.Series(np.nan, index=table.index, name="delta_md_winsorized")
    report = []
    for roi, rows in table.groupby("roi", sort=False):
        result = winsorize(rows["delta_md_raw"].to_numpy(), method=method, k=k, lower=lower, upper=upper)
        out.loc[rows.index] = result.values
        report.append({"roi": roi, "method": method, "k": k if method == "sd" else np.nan,
                       "lower": lower if method == "percentile" else np.nan,
                       "upper": upper if method == "percentile" else np.nan,
                       "n": int(np.isfinite(rows["delta_md_raw"]).sum()), "low": result.low,
                       "high": result.high, "n_low": result.n_low, "n_high": result.n_high,
                       "n_changed": result.n_changed})
    return out, pd.DataFrame(report, columns=WINSOR_COLUMNS)


def score_changes(sessions: pd.DataFrame, subjects, outcomes: dict[str, str], pre: str,
                  post: str) -> tuple[pd.DataFrame, list[dict]]:
    """Δscore = score(pre) − score(post) per subject for each outcome (name -> column of the
    scores table, :func:`trialmri.bids.scores.load_scores`). Missing or non-numeric scores give
    NaN and an exclusion row."""
    subjects = list(subjects)
    keyed = sessions.assign(subject=labels(sessions["participant_id"], "sub-"),
                            session=labels(sessions["session_id"], "ses-"))
    keyed = keyed.drop_duplicates(["subject", "session"]).set_index(["subject", "session"])
    wanted = pd.MultiIndex.from_product([subjects, [pre, post]], names=["subject", "session"])
    out = pd.DataFrame({"subject": subjects})
    excluded = []
    for name, column in outcomes.items():
        if column not in keyed:
            raise ValueError(f"the scores table has no column {column!r} for outcome {name!r}; "
                             f"define it in config phenotype.scores.{name}")
        raw = keyed[column].reindex(wanted)
        numeric = pd.to_numeric(raw, errors="coerce")
        for (subject, ses), value in raw[numeric.isna()].items():
            what = (f"no {column} score" if pd.isna(value) else f"{column} = {value!r} is not a number")
            excluded.append(_exclusion(subject, ses, f"{what} for ses-{ses} in the phenotype tables "
                                       f"(config phenotype.scores.{name}): left out of the {name} analyses"))
        out[f"delta_{name}"] = (numeric.xs(pre, level="session") - numeric.xs(post, level="session")
                                ).reindex(subjects).to_numpy()
    return out, excluded


def participant_covariates(participants: pd.DataFrame, subjects, covariates: dict[str, dict],
                           columns: dict[str, str]) -> pd.DataFrame:
    """Covariates from participants.tsv, one column per name of ``covariates`` whose source is
    ``participants``. ``columns`` maps phenotype keys to column names (config
    ``phenotype.participants``). Coding: ``reference`` level -> 0, the one other level -> 1;
    ``at_least`` t -> 1 where the value >= t; otherwise the numeric value."""
    table = by_subject(participants)
    out = pd.DataFrame({"subject": list(subjects)})
    for name, spec in covariates.items():
        if spec.get("source") != "participants":
            continue
        column = columns.get(spec["column"], spec["column"])
        if column not in table:
            raise ValueError(f"participants.tsv has no column {column!r} for covariate {name!r}; "
                             f"set phenotype.participants.{spec['column']} in the config")
        values = table[column].reindex(out["subject"])
        if spec.get("reference") is not None:
            levels = sorted(set(values.dropna().astype(str)) - {str(spec["reference"])})
            if len(levels) > 1:
                raise ValueError(f"covariate {name!r}: participants.tsv column {column!r} has levels "
                                 f"{levels} besides the reference {spec['reference']!r}; a "
                                 "sensitivity covariate is coded 0/1, so it must have two levels")
            coded = np.where(values.isna(), np.nan, (values.astype(str) != str(spec["reference"])) * 1.0)
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numeric.isna()
            if bad.any():
                raise ValueError(f"covariate {name!r}: participants.tsv column {column!r} is not "
                                 f"numeric for sub-{', sub-'.join(values.index[bad])}")
            at_least = spec.get("at_least")
            coded = numeric if at_least is None else np.where(numeric.isna(), np.nan,
                                                              (numeric >= at_least) * 1.0)
        out[name] = np.asarray(coded, dtype=float)
    return out


def analysis_table(roi_md: pd.DataFrame, subjects: dict[str, str], participants: pd.DataFrame,
                   sessions: pd.DataFrame, *, pre: str, post: str, treatment: str,
                   outcomes: dict[str, str], covariates: dict[str, dict],
                   participant_columns: dict[str, str], winsorizing: dict,
                   min_coverage: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The analysis table (module docstring), the Winsorizing report and the exclusions."""
    table, excluded = delta_md(roi_md, subjects, pre, post, min_coverage)
    table["group"] = (table["group_label"] == treatment).astype(int)
    table["delta_md_winsorized"], report = winsorize_by_roi(
        table, winsorizing["method"], winsorizing.get("k", 3.0), winsorizing.get("lower", 5.0),
        winsorizing.get("upper", 95.0))
    scores, more = score_changes(sessions, subjects, outcomes, pre, post)
    excluded += more
    table = table.merge(scores, on="subject", how="left")
    coded = participant_covariates(participants, subjects, covariates, participant_columns)
    for name in coded.columns.drop("subject"):
        excluded += [_exclusion(subject, "n/a", f"no value for covariate {name} in participants.tsv: "
                                f"left out of the {name} sensitivity models")
                     for subject in coded.loc[coded[name].isna(), "subject"]]
    table = table.merge(coded, on="subject", how="left")
    for name, spec in covariates.items():
        if spec.get("source") == "baseline_md":
            table[name] = table["md_pre"]
    exclusions = pd.DataFrame(excluded, columns=EXCLUSION_COLUMNS).drop_duplicates()
    return table, report, exclusions
