"""Study 000's ROI follow-ups (run in SPSS there), as tables:

- seed-to-control-ROI connectivity: each session's mean Fisher z of a seed map inside a control
  ROI (V1), one mixed model per seed (``trialmri.stats.roi_lme``);
- cluster connectivity: mean z inside each surviving cluster of a seed's group result, per session;
- CRP (a configured session measure, transformed, e.g. natural log) in the same mixed model;
- changes Δ = active − placebo session (ketamine − placebo) per subject with both sessions: ΔFC
  per cluster, ΔCRP (on the transformed scale), Δ symptom scores;
- Pearson r of ΔCRP vs ΔFC per group with Fisher's r-to-z test between the groups, and of Δ
  symptoms vs ΔFC in the configured groups.

Long tables throughout: one row per subject x session (x seed x ROI). ``group``, ``treatment``
(the session label) and ``order`` are the model variables, as in the voxelwise model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.bids.phenotype import by_subject, transformed_name  # noqa: F401 (scripts use it from here)
from trialmri.fc.roi_values import roi_means
from trialmri.stats.formula import NotEstimable
from trialmri.stats.group_tests import fisher_r_to_z, pearson
from trialmri.stats.roi_lme import fit_roi_lme

KEYS = ["subject", "session", "group", "treatment", "order"]
TRANSFORMS = {"log": np.log, "log10": np.log10, "none": lambda v: v}


def transform_values(values: pd.Series, transform: str, what: str) -> pd.Series:
    """``values`` under ``transform``; a log of a value <= 0 is an error naming the measure."""
    if transform not in TRANSFORMS:
        raise ValueError(f"transform {transform!r} for {what}: use one of {', '.join(TRANSFORMS)}")
    numbers = pd.to_numeric(values, errors="coerce")
    if transform != "none" and (numbers <= 0).any():
        raise ValueError(f"{what} has values <= 0 ({numbers[numbers <= 0].iloc[0]}) that a {transform} "
                         "transform cannot take; set transform: none or correct the value")
    return TRANSFORMS[transform](numbers)


def _groups(frame: pd.DataFrame, by: list[str]):
    """``(key dict, rows)`` per group of ``by`` in order of appearance; the whole frame for no ``by``."""
    if not by:
        yield {}, frame
        return
    for key, part in (frame.groupby(by, sort=False) if len(frame) else []):
        yield dict(zip(by, key if isinstance(key, tuple) else (key,))), part


def fit_models(table: pd.DataFrame, response: str, rhs: str, by: list[str], quantitative=(), center=()) -> dict:
    """One ROI mixed model per ``by`` group of ``table``: anova, coefficients, emmeans tables with
    the ``by`` columns first plus ``n_rows``, ``n_subjects``; a model the data cannot estimate gets
    one anova row with ``note`` saying why. ``center``: quantitative covariates, centred at their
    mean over each model's rows (``trialmri.lme.covariates``)."""
    out = {"anova": [], "coefficients": [], "emmeans": []}
    for key, part in _groups(table, by):
        try:
            fit = fit_roi_lme(part, f"{response} ~ {rhs}", "subject", quantitative, center=center)
        except NotEstimable as err:
            out["anova"].append(pd.DataFrame([{**key, "n_rows": len(part), "n_subjects": part.subject.nunique(),
                                               "note": f"not estimated: {err}"}]))
            continue
        n = {"n_rows": fit.info["n_rows"], "n_subjects": fit.info["n_subjects"]}
        out["anova"].append(fit.anova.assign(**key, **n, note=""))
        out["coefficients"].append(fit.coefficients.assign(**key))
        out["emmeans"].append(fit.emmeans.assign(**key))
    columns = {"anova": [*by, "term", "F", "df_num", "df_den", "p", "n_rows", "n_subjects", "note"],
               "coefficients": [*by, "coefficient", "term", "estimate", "se", "df", "t", "p"],
               "emmeans": [*by, "emmean", "se", "df", "ci_low", "ci_high"]}
    result = {}
    for name, frames in out.items():
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns[name])
        if name == "emmeans":  # the cell columns (e.g. group, treatment) follow ``by``
            result[name] = frame[[*by, *[c for c in frame.columns if c not in by]]]
        else:
            result[name] = frame.reindex(columns=columns[name])
    return result


def clinical_table(phenotype: pd.DataFrame, participants: pd.DataFrame, columns: dict, sessions, groups,
                   measures: dict[str, str]) -> pd.DataFrame:
    """One row per subject x session (labels in ``sessions``) of the sessions tables: KEYS plus each
    measure (our name -> column of the scores table, ``phenotype.scores`` in config) as numbers.

    ``columns``: participants.tsv columns of ``group`` and ``order``. Subjects whose group is not
    one of ``groups`` are left out (the input checks list them). Values are never imputed."""
    absent = [col for col in measures.values() if col not in phenotype.columns]
    if absent:
        raise ValueError(f"the scores table has no column {', '.join(absent)}; define these scores in "
                         "config phenotype.scores")
    people = by_subject(participants)
    table = pd.DataFrame({
        "subject": phenotype.participant_id.astype(str).str.removeprefix("sub-"),
        "session": phenotype.session_id.astype(str).str.removeprefix("ses-")})
    table = table[table.session.isin(list(sessions)) & table.subject.isin(people.index)]
    table["group"] = people.loc[table.subject, columns["group"]].astype(str).to_numpy()
    table["treatment"] = table.session
    order = people[columns["order"]] if columns["order"] in people else pd.Series(np.nan, people.index)
    table["order"] = order.loc[table.subject].to_numpy()
    for name, col in measures.items():
        table[name] = pd.to_numeric(phenotype.loc[table.index, col], errors="coerce")
    return table[table.group.isin(list(groups))].reset_index(drop=True)


def changes(table: pd.DataFrame, value: str, by: list[str], active: str, placebo: str) -> pd.DataFrame:
    """Per subject (and ``by``) with a finite ``value`` in both sessions: the two values and
    ``delta_<value>`` = active − placebo."""
    wide = table.pivot_table(index=["subject", "group", *by], columns="session", values=value,
                             aggfunc="first", dropna=False).reset_index()
    for ses in (active, placebo):
        if ses not in wide:
            wide[ses] = np.nan
    wide = wide.rename(columns={active: f"{value}_{active}", placebo: f"{value}_{placebo}"})
    wide[f"delta_{value}"] = wide[f"{value}_{active}"] - wide[f"{value}_{placebo}"]
    wide = wide[np.isfinite(wide[f"delta_{value}"].astype(float))]
    wide.columns.name = None
    return wide[["subject", "group", *by, f"{value}_{active}", f"{value}_{placebo}", f"delta_{value}"]] \
        .reset_index(drop=True)


def correlations(frame: pd.DataFrame, x: str, ys: dict[str, str], by: list[str], groups) -> pd.DataFrame:
    """Pearson r of ``x`` with each ``ys`` column (name -> label), per ``by`` and group in ``groups``."""
    rows = []
    for key, part in _groups(frame, by):
        for measure, label in ys.items():
            for group in groups:
                sel = part[part.group == group]
                rows.append({**key, "measure": measure, "label": label, "group": group,
                             **pearson(sel[x], sel[measure])})
    return pd.DataFrame(rows, columns=[*by, "measure", "label", "group", "n", "r", "p", "ci_low", "ci_high"])


def fisher_tests(table: pd.DataFrame, by: list[str], group_a: str, group_b: str) -> pd.DataFrame:
    """Fisher's r-to-z of ``group_a``'s r against ``group_b``'s, per ``by`` (z > 0: r_a > r_b)."""
    rows = []
    for key, part in _groups(table, by):
        a = part[part.group == group_a].iloc[0]
        b = part[part.group == group_b].iloc[0]
        rows.append({**key, "group_a": group_a, "r_a": a.r, "n_a": a.n, "group_b": group_b, "r_b": b.r,
                     "n_b": b.n, **fisher_r_to_z(a.r, a.n, b.r, b.n)})
    return pd.DataFrame(rows, columns=[*by, "group_a", "r_a", "n_a", "group_b", "r_b", "n_b", "z", "p"])


def fc_table(sessions: pd.DataFrame, maps_by_seed: dict[str, list], rois_by_seed: dict[str, dict]) -> pd.DataFrame:
    """Mean z per used session, seed and ROI: KEYS + ``seed, roi, n_voxels, z``.

    ``sessions``: the group-model sessions table (``used`` rows enter); ``maps_by_seed``: each
    seed's map per row of ``sessions``; ``rois_by_seed``: per seed, ROI name -> boolean mask."""
    used = sessions["used"].astype(str).str.lower().eq("true").to_numpy()
    rows = []
    for seed, rois in rois_by_seed.items():
        if not rois:
            continue
        maps = [m for m, u in zip(maps_by_seed[seed], used) if u]
        means = roi_means(maps, rois)
        for j, (roi, mask) in enumerate(rois.items()):
            part = sessions.loc[used, KEYS].assign(seed=seed, roi=roi, n_voxels=int(mask.sum()), z=means[:, j])
            rows.append(part)
    columns = [*KEYS, "seed", "roi", "n_voxels", "z"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def region_name(label) -> str | None:
    """An atlas label as a region name: ``Right_Frontal_Pole (61%)`` -> ``Right Frontal Pole``;
    None for an empty label or the atlas's ``no_label``."""
    if not isinstance(label, str) or not label.strip():
        return None
    name = label.split(" (")[0].replace("_", " ").strip()
    return None if name.lower() in ("no label", "n/a") else name


def cluster_rois(dseg: np.ndarray, table: pd.DataFrame, atlases) -> tuple[dict, dict]:
    """Per cluster of a seed's label map: ROI name (``cluster 1``) -> mask, and -> region name
    (the label at its peak in the first of ``atlases`` that has one there, else the region with the
    largest share of its voxels, e.g. ``60.0% Left_Frontal_Pole; 40.0% no_label``)."""
    rois, regions = {}, {}
    for _, row in table.iterrows():
        name = f"cluster {int(row['cluster'])}"
        rois[name] = dseg == int(row["cluster"])
        shares = [part.split("% ", 1)[-1] for atlas in atlases
                  for part in str(row.get(f"{atlas}_regions") or "").split("; ")]
        labels = (region_name(label) for label in [*(row.get(f"{a}_peak") for a in atlases), *shares])
        regions[name] = next((label for label in labels if label), "unlabelled")
    return rois, regions


def change_table(cluster_fc: pd.DataFrame, clinical: pd.DataFrame, measures: list[str], active: str,
                 placebo: str) -> pd.DataFrame:
    """Per subject and cluster with both sessions: ΔFC (``delta_fc``) and the Δ of each clinical
    measure (``delta_<measure>``, NaN where a session value is missing)."""
    by = ["seed", "roi", "region"]
    fc = changes(cluster_fc, "z", by, active, placebo).rename(columns={"delta_z": "delta_fc"})
    out = fc
    for measure in measures:
        delta = changes(clinical, measure, [], active, placebo)[["subject", f"delta_{measure}"]]
        out = out.merge(delta, on="subject", how="left")
    return out.reset_index(drop=True)
