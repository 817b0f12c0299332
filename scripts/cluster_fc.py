"""Snakemake glue: mean Fisher z of each seed's map inside each of its surviving clusters, per session."""

from trialmri.fc.followup_files import write_cluster_fc
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    for line in write_cluster_fc(i.sessions, i.dsegs, i.tables, i.maps, p.seeds, p.atlases, snakemake.output.table):
        print(line)
