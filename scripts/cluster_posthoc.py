"""Snakemake glue: within each group, active vs placebo session of the mean z in each surviving
cluster (paired t-test; study 000's Supplementary Table S5), with a JSON saying how and, without
clusters, why."""

from trialmri.fc.followup_files import write_cluster_posthoc
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    for line in write_cluster_posthoc(read_tsv(i.cluster_fc), read_tsv(i.summary), p.term, [p.patient, p.control],
                                      p.active, p.placebo, o.table, o.sidecar):
        print(line)
