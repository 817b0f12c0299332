"""Snakemake glue: study 000's Figures 1-4 (clusters and seed-V1 box plots, ΔCRP and Δ symptom
scatters against ΔFC), PNG and SVG."""

from trialmri.fc.followup import transformed_name
from trialmri.fc.followup_plots import change_scatters, fc_boxplots, term_text
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    groups, treatments = [p.patient, p.control], [p.active, p.placebo]
    delta = f"Δ = {p.active} − {p.placebo}"

    control = read_tsv(i.control_fc)
    control_lme = read_tsv(i.control_lme)
    panels = list(dict.fromkeys(zip(control.seed, control.roi)))
    fc_boxplots(control, panels, {k: f"{k[0]}–{k[1]}" for k in panels},
                {k: term_text(control_lme[(control_lme.seed == k[0]) & (control_lme.roi == k[1])], p.term)
                 for k in panels}, groups, treatments, o.control_png, o.control_svg,
                suptitle="Seed to control ROI connectivity (study Figure 2)",
                empty="No seed-to-control-ROI values (no usable session).")

    clusters = read_tsv(i.cluster_fc)
    panels = list(dict.fromkeys(zip(clusters.seed, clusters.roi)))
    regions = dict(zip(zip(clusters.seed, clusters.roi), clusters.region))
    empty = f"No cluster of {p.term} survived the family-wise threshold in any seed: no cluster values to show."
    fc_boxplots(clusters, panels, {k: f"{k[0]} {k[1]}" for k in panels}, {k: regions[k] for k in panels}, groups,
                treatments, o.clusters_png, o.clusters_svg,
                suptitle=f"Connectivity in the {p.term} clusters (study Figure 1; selected by that effect)",
                empty=empty)

    changes = read_tsv(i.changes)
    crp = transformed_name(p.crp["score"], p.crp["transform"])
    fisher = read_tsv(i.fisher)
    keys = list(dict.fromkeys(zip(changes.seed, changes.roi)))
    crp_panels = [(s, r, f"delta_{crp}") for s, r in keys]
    titles = {}
    for s, r, m in crp_panels:
        row = fisher[(fisher.seed == s) & (fisher.roi == r)]
        z = (f"Fisher z = {row.z.iloc[0]:.2f}, p {'= ' + format(row.p.iloc[0], '.3f')}"
             if len(row) and row.z.notna().iloc[0] else "Fisher z: too few subjects")
        titles[(s, r, m)] = f"{s} {r} ({regions[(s, r)]})\n{z}"
    change_scatters(changes, crp_panels, titles, groups, o.crp_png, o.crp_svg, x=f"delta_{crp}", y="delta_fc",
                    xlabel=f"Δ {p.crp['label']} ({p.crp['transform']})" if crp != p.crp["score"] else f"Δ {p.crp['label']}",
                    ylabel="ΔFC (Fisher z)", suptitle=f"ΔCRP and ΔFC per group (study Figure 3; {delta})",
                    empty=empty)

    measures = list(p.figure_symptoms)
    sym_panels = [(s, r, m) for s, r in keys for m in measures]
    change_scatters(changes, sym_panels, {k: f"{k[0]} {k[1]} ({regions[(k[0], k[1])]})" for k in sym_panels},
                    list(p.symptom_groups), o.symptoms_png, o.symptoms_svg, x="delta_fc",
                    y={m: f"delta_{m}" for m in measures}, xlabel="ΔFC (Fisher z)",
                    ylabel={m: f"Δ {p.symptoms[m]}" for m in measures},
                    suptitle=f"Δ symptoms and ΔFC in {', '.join(p.symptom_groups)} (study Figure 4; {delta}; "
                             "band: 95 % CI of the fitted mean)", empty=empty)
    print(f"figures: {len(keys)} cluster(s), {len(panels)} cluster panels")
