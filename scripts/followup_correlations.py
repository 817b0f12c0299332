"""Snakemake glue: ΔFC per cluster with ΔCRP and Δ symptoms; Pearson r per group, Fisher r-to-z."""

from trialmri.fc.followup import change_table, correlations, fisher_tests, transformed_name
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    cluster_fc = read_tsv(i.cluster_fc)
    clinical = read_tsv(i.clinical)
    crp = transformed_name(p.crp["score"], p.crp["transform"])
    table = change_table(cluster_fc, clinical, [crp, *p.symptoms], p.active, p.placebo)
    write_tsv(o.changes, table)
    by = ["seed", "roi", "region"]
    crp_label = p.crp["label"] + ("" if crp == p.crp["score"] else f" ({p.crp['transform']})")
    crp_r = correlations(table, "delta_fc", {f"delta_{crp}": crp_label}, by, [p.patient, p.control])
    write_tsv(o.crp, crp_r)
    write_tsv(o.fisher, fisher_tests(crp_r, by + ["measure"], p.patient, p.control))
    symptoms = {f"delta_{name}": label for name, label in p.symptoms.items()}
    write_tsv(o.symptoms, correlations(table, "delta_fc", symptoms, by, p.symptom_groups))
    print(f"{table.subject.nunique()} subjects with both sessions over {len(table.groupby(by)) if len(table) else 0} "
          "cluster(s)")
    for row in crp_r.itertuples():
        print(f"  {row.seed} {row.roi} ({row.region}) {row.group}: r = {row.r:.3f}, p = {row.p:.3g}, n = {row.n}")
