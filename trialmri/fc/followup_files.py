"""The ROI follow-ups' tables from files: the connectivity tables (rules control_fc and cluster_fc:
each used session's mean Fisher z of every seed map inside the control ROIs (V1) or inside the
seed's own surviving clusters; ``trialmri.fc.followup.fc_table``, plus ``region`` for clusters),
the clinical sessions table (rule clinical_sessions) and the ROI mixed models (rules control_lme,
crp_lme), the changes and their correlations (rule followup_correlations) and the post-hoc tests
at the clusters (rule cluster_posthoc). Δ = active − placebo session. Tables are written as TSV; the write functions return the lines their job logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.bids.phenotype import transformed_name
from trialmri.fc.followup import (change_table, clinical_table, cluster_rois, correlations, fc_table, fisher_tests,
                                  fit_models, transform_values)
from trialmri.fc.posthoc import cluster_posthoc, posthoc_sidecar
from trialmri.fc.roi_values import load_labels
from trialmri.lme.covariates import add_covariates, as_covariates, dropped_message, quantitative_names, \
    with_covariates
from trialmri.text_files import write_json
from trialmri.tables import read_tsv, write_tsv

MODEL_TABLES = ("anova", "coefficients", "emmeans")  # fit_models' tables, one TSV each


def maps_by_seed(maps, seeds, n_sessions: int) -> dict[str, list]:
    """Split one list of seed maps into each seed's maps: ``maps`` holds the seeds one after the
    other, in ``seeds`` order, each with one map per row of the sessions table (``n_sessions``)."""
    maps, seeds = list(maps), list(seeds)
    if len(maps) != len(seeds) * n_sessions:
        raise ValueError(f"{len(maps)} seed maps for {len(seeds)} seeds x {n_sessions} sessions; "
                         "expected one map per seed and session, seed by seed")
    return {seed: maps[k * n_sessions:(k + 1) * n_sessions] for k, seed in enumerate(seeds)}


def control_rois(labels: np.ndarray, mask: np.ndarray, index: dict, controls, mask_name="the group mask"
                 ) -> dict[str, np.ndarray]:
    """Each control ROI (label ``index[name]`` of the seed label map) inside the group mask, as a
    boolean mask; none when the group mask is empty (no usable session). An ROI with no voxel in a
    non-empty mask is an error (its centres lie outside the brain)."""
    inside = mask > 0
    if not inside.any():
        return {}
    rois = {}
    for roi in controls:
        rois[roi] = (labels == int(index[roi])) & inside
        if not rois[roi].any():
            raise ValueError(f"control ROI {roi} has no voxel inside {mask_name}; move its centres "
                             "(config rsfmri.seeds.control) into the brain")
    return rois


def write_control_fc(sessions_path, mask_path, labels_path, seeds_table_path, maps, seeds, controls,
                     out_path) -> list[str]:
    """The seed-to-control-ROI table (every seed x control ROI x used session) -> ``out_path``.
    ``maps``: every seed's maps, seed by seed (see :func:`maps_by_seed`)."""
    sessions = read_tsv(sessions_path)
    mask, affine = load_labels(mask_path)
    labels, _ = load_labels(labels_path, affine, mask.shape)
    seeds_table = read_tsv(seeds_table_path)
    index = dict(zip(seeds_table["name"], seeds_table["index"]))
    rois = control_rois(labels, mask, index, controls, f"the group mask {mask_path}")
    table = fc_table(sessions, maps_by_seed(maps, seeds, len(sessions)), {seed: rois for seed in seeds})
    write_tsv(out_path, table)
    lines = [] if (mask > 0).any() else [f"no rsfMRI session is usable (see {sessions_path}); the table has no rows"]
    voxels = ", ".join(f"{k} {int(v.sum())} voxels" for k, v in rois.items())
    return lines + [f"{len(table)} rows: {table.subject.nunique()} subjects x seeds {', '.join(seeds)} x ROIs "
                    f"{', '.join(rois)} ({voxels})"]


def write_cluster_fc(sessions_path, dseg_paths, cluster_table_paths, maps, seeds, atlases, out_path
                     ) -> list[str]:
    """The cluster table (every seed x its surviving clusters x used session, with the cluster's
    ``region`` after ``roi``) -> ``out_path``. ``dseg_paths``/``cluster_table_paths``: each seed's
    cluster label map and table, in ``seeds`` order; ``maps`` as for :func:`write_control_fc`."""
    sessions = read_tsv(sessions_path)
    rois, regions = {}, {}
    for seed, dseg_path, table_path in zip(seeds, dseg_paths, cluster_table_paths):
        dseg, _ = load_labels(dseg_path)
        rois[seed], regions[seed] = cluster_rois(dseg, read_tsv(table_path), atlases)
    table = fc_table(sessions, maps_by_seed(maps, seeds, len(sessions)), rois)
    table.insert(table.columns.get_loc("roi") + 1, "region",
                 [regions[s][r] for s, r in zip(table.seed, table.roi)] if len(table) else pd.Series(dtype=str))
    write_tsv(out_path, table)
    return [f"clusters per seed: { {s: len(r) for s, r in rois.items()} }; {len(table)} rows"]


def clinical_sessions(scores: pd.DataFrame, participants: pd.DataFrame | None, columns: dict, sessions, groups,
                      crp: dict, symptoms, bids_dir="the dataset") -> pd.DataFrame:
    """CRP and the symptom scores per subject and session (``clinical_table``), with the CRP's
    transformed column (e.g. ``log_crp``) after the raw one when ``crp["transform"]`` is not
    ``none``. ``crp``: config rsfmri.followup.crp (score, transform); ``symptoms``: score names."""
    if participants is None:
        raise ValueError(f"{bids_dir}/participants.tsv is missing; the CRP and symptom analyses need each "
                         "subject's group")
    measures = {name: name for name in (crp["score"], *symptoms)}
    table = clinical_table(scores, participants, columns, sessions, groups, measures)
    name = transformed_name(crp["score"], crp["transform"])
    if name != crp["score"]:
        table.insert(table.columns.get_loc(crp["score"]) + 1, name,
                     transform_values(table[crp["score"]], crp["transform"], f"CRP ({crp['score']})"))
    return table


def followup_models(table: pd.DataFrame, participant_tables, response: str, formula: str, covariates,
                    by) -> tuple[dict, list[str]]:
    """ROI mixed models (Type III F, Satterthwaite df) of ``response``, one per group of rows by
    ``by``: the tables of ``fit_models`` and the lines to log. Covariates (dicts {column, type},
    config rsfmri.followup.covariates) come from participants.tsv (``participant_tables``: [] or
    [its path]) per subject and enter every model as main effects, quantitative ones centred; rows
    whose subject has no value are left out (said in the lines)."""
    table = table.copy()
    for var in ("group", "treatment", "order"):
        table[var] = table[var].astype("string")
    covariates = as_covariates(covariates)
    lines = []
    if covariates:
        if not list(participant_tables):
            raise ValueError("config rsfmri.followup.covariates needs participants.tsv, which the dataset lacks")
        table, dropped = add_covariates(table, read_tsv(list(participant_tables)[0], text=True), covariates)
        lines.append(dropped_message(dropped, table) or f"covariates {', '.join(c.column for c in covariates)}: "
                     "every row has a value")
    quantitative = quantitative_names(covariates)
    results = fit_models(table, response, with_covariates(formula, covariates), list(by), quantitative,
                         center=quantitative)
    for row in results["anova"].itertuples():
        where = " ".join(str(getattr(row, b)) for b in by)
        lines.append(f"{where}: {row.note}" if row.note else
                     f"{where} {row.term}: F({row.df_num}, {row.df_den:.2f}) = {row.F:.3f}, p = {row.p:.3g}")
    return results, lines


def write_followup_correlations(cluster_fc: pd.DataFrame, clinical: pd.DataFrame, settings: dict, paths: dict
                                ) -> list[str]:
    """ΔFC per cluster with ΔCRP (transformed scale) and Δ symptoms per subject (``paths["changes"]``),
    Pearson r of ΔCRP vs ΔFC per group (``crp``) with Fisher's r-to-z between them (``fisher``),
    and of Δ symptoms vs ΔFC in the symptom groups (``symptoms``). ``settings``: the follow-up params
    (patient, control, active, placebo, crp, symptoms, symptom_groups). Returns the lines to log."""
    p, by = settings, ["seed", "roi", "region"]
    crp = transformed_name(p["crp"]["score"], p["crp"]["transform"])
    table = change_table(cluster_fc, clinical, [crp, *p["symptoms"]], p["active"], p["placebo"])
    write_tsv(paths["changes"], table)
    crp_label = p["crp"]["label"] + ("" if crp == p["crp"]["score"] else f" ({p['crp']['transform']})")
    crp_r = correlations(table, "delta_fc", {f"delta_{crp}": crp_label}, by, [p["patient"], p["control"]])
    write_tsv(paths["crp"], crp_r)
    write_tsv(paths["fisher"], fisher_tests(crp_r, by + ["measure"], p["patient"], p["control"]))
    symptoms = {f"delta_{name}": label for name, label in p["symptoms"].items()}
    write_tsv(paths["symptoms"], correlations(table, "delta_fc", symptoms, by, p["symptom_groups"]))
    n_clusters = len(table.groupby(by)) if len(table) else 0
    return [f"{table.subject.nunique()} subjects with both sessions over {n_clusters} cluster(s)"] + [
        f"  {row.seed} {row.roi} ({row.region}) {row.group}: r = {row.r:.3f}, p = {row.p:.3g}, n = {row.n}"
        for row in crp_r.itertuples()]


def write_cluster_posthoc(cluster_fc: pd.DataFrame, summary: pd.DataFrame, term: str, groups, active: str,
                          placebo: str, table_path, sidecar_path) -> list[str]:
    """Within each of ``groups``, the ``active`` vs ``placebo`` session's mean z at every surviving
    cluster (paired t-test) -> table and JSON sidecar (the test, and without clusters why, from the
    clusters ``summary``). Returns the lines to log."""
    table = cluster_posthoc(cluster_fc, groups, active, placebo)
    write_tsv(table_path, table)
    meta = posthoc_sidecar(table, summary, term, groups, active, placebo)
    write_json(sidecar_path, meta)
    return [meta.get("reason") or f"{meta['clusters']} cluster(s) x {len(groups)} groups"] + [
        f"  {row.seed} {row.roi} ({row.region}) {row.group}: n = {row.n}, delta = {row.mean_delta:.3f}, "
        f"t({row.df}) = {row.t:.3f}, p = {row.p:.3g} {row.note}" for row in table.itertuples()]
