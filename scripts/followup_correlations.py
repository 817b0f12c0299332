"""Snakemake glue: ΔFC per cluster with ΔCRP and Δ symptoms; Pearson r per group, Fisher r-to-z."""

from trialmri.fc.followup_files import write_followup_correlations
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o = snakemake.input, snakemake.output
    for line in write_followup_correlations(read_tsv(i.cluster_fc), read_tsv(i.clinical),
                                            dict(snakemake.params.items()), dict(o.items())):
        print(line)
