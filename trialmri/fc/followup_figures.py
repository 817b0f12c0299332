"""Study 000's Figures 1-4 from the follow-up tables (rule plot_followup), PNG and SVG: box plots
of the clusters' and the seed-to-control-ROI connectivity (Fisher z) per group and session, and
scatters of ΔCRP and Δ symptoms against ΔFC (Δ = active − placebo)."""

from __future__ import annotations

import pandas as pd

from trialmri.bids.phenotype import transformed_name
from trialmri.fc.followup_plots import change_scatters, fc_boxplots, term_text

# the figure files, by key (PNG and SVG of each)
FIGURE_FILES = tuple(f"{name}_{ext}" for name in ("clusters", "control", "crp", "symptoms") for ext in ("png", "svg"))


def panels_of(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The ``(seed, roi)`` pairs of a long table, in order of first appearance."""
    return list(dict.fromkeys(zip(table.seed, table.roi)))


def fisher_titles(fisher: pd.DataFrame, keys, regions: dict) -> dict:
    """Per ``(seed, roi)``: ``seed roi (region)`` and the Fisher r-to-z test of the groups' ΔCRP
    correlations (or that too few subjects had both sessions)."""
    titles = {}
    for s, r in keys:
        row = fisher[(fisher.seed == s) & (fisher.roi == r)]
        z = (f"Fisher z = {row.z.iloc[0]:.2f}, p {'= ' + format(row.p.iloc[0], '.3f')}"
             if len(row) and row.z.notna().iloc[0] else "Fisher z: too few subjects")
        titles[(s, r)] = f"{s} {r} ({regions[(s, r)]})\n{z}"
    return titles


def write_followup_figures(control: pd.DataFrame, control_lme: pd.DataFrame, clusters: pd.DataFrame,
                           changes: pd.DataFrame, fisher: pd.DataFrame, settings: dict, paths: dict) -> str:
    """Figures 1-4 -> ``paths`` (FIGURE_FILES keys). ``settings``: the follow-up params (patient,
    control, active, placebo, crp, symptoms, symptom_groups, term, figure_symptoms). Returns the log
    line."""
    p = settings
    groups, treatments = [p["patient"], p["control"]], [p["active"], p["placebo"]]
    delta, term = f"Δ = {p['active']} − {p['placebo']}", p["term"]
    panels = panels_of(control)
    fc_boxplots(control, panels, {k: f"{k[0]}–{k[1]}" for k in panels},
                {k: term_text(control_lme[(control_lme.seed == k[0]) & (control_lme.roi == k[1])], term)
                 for k in panels}, groups, treatments, paths["control_png"], paths["control_svg"],
                suptitle="Seed to control ROI connectivity (study Figure 2)",
                empty="No seed-to-control-ROI values (no usable session).")
    panels = panels_of(clusters)
    regions = dict(zip(zip(clusters.seed, clusters.roi), clusters.region))
    empty = f"No cluster of {term} survived the family-wise threshold in any seed: no cluster values to show."
    fc_boxplots(clusters, panels, {k: f"{k[0]} {k[1]}" for k in panels}, {k: regions[k] for k in panels}, groups,
                treatments, paths["clusters_png"], paths["clusters_svg"],
                suptitle=f"Connectivity in the {term} clusters (study Figure 1; selected by that effect)", empty=empty)
    crp, keys = transformed_name(p["crp"]["score"], p["crp"]["transform"]), panels_of(changes)
    titles = fisher_titles(fisher, keys, regions)
    crp_label = f"Δ {p['crp']['label']}" + (f" ({p['crp']['transform']})" if crp != p["crp"]["score"] else "")
    change_scatters(changes, [(s, r, f"delta_{crp}") for s, r in keys],
                    {(s, r, f"delta_{crp}"): titles[(s, r)] for s, r in keys}, groups, paths["crp_png"],
                    paths["crp_svg"], x=f"delta_{crp}", y="delta_fc", xlabel=crp_label, ylabel="ΔFC (Fisher z)",
                    suptitle=f"ΔCRP and ΔFC per group (study Figure 3; {delta})", empty=empty)
    measures = list(p["figure_symptoms"])
    sym_panels = [(s, r, m) for s, r in keys for m in measures]
    change_scatters(changes, sym_panels, {k: f"{k[0]} {k[1]} ({regions[(k[0], k[1])]})" for k in sym_panels},
                    list(p["symptom_groups"]), paths["symptoms_png"], paths["symptoms_svg"], x="delta_fc",
                    y={m: f"delta_{m}" for m in measures}, xlabel="ΔFC (Fisher z)",
                    ylabel={m: f"Δ {p['symptoms'][m]}" for m in measures},
                    suptitle=f"Δ symptoms and ΔFC in {', '.join(p['symptom_groups'])} (study Figure 4; {delta}; "
                             "band: 95 % CI of the fitted mean)", empty=empty)
    return f"figures: {len(keys)} cluster(s), {len(panels)} cluster panels"
