"""Snakemake glue: every seed's clusters in one table, with the threshold each seed used."""

from trialmri.clusters.cluster_files import summarize_clusters
from trialmri.tables import write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    table = summarize_clusters(snakemake.params.seeds, snakemake.input.tables, snakemake.input.sidecars)
    write_tsv(snakemake.output.summary, table)
    print(f"{len(table)} cluster(s) over {len(snakemake.params.seeds)} seed(s)")
