"""Snakemake glue: within each group, active vs placebo session of the mean z in each surviving
cluster (paired t-test; study 000's Supplementary Table S5), with a JSON saying how and, without
clusters, why."""

from trialmri.fc.posthoc import cluster_posthoc, posthoc_sidecar
from trialmri.io import write_json
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    groups = [p.patient, p.control]
    table = cluster_posthoc(read_tsv(i.cluster_fc), groups, p.active, p.placebo)
    write_tsv(o.table, table)
    meta = posthoc_sidecar(table, read_tsv(i.summary), p.term, groups, p.active, p.placebo)
    write_json(o.sidecar, meta)
    print(meta.get("reason") or f"{meta['clusters']} cluster(s) x {len(groups)} groups")
    for row in table.itertuples():
        print(f"  {row.seed} {row.roi} ({row.region}) {row.group}: n = {row.n}, delta = {row.mean_delta:.3f}, "
              f"t({row.df}) = {row.t:.3f}, p = {row.p:.3g} {row.note}")
