"""Snakemake glue: one seed's clusters figure (glass brain, slices at the peak, cluster list)."""

from trialmri.clusters.figure_files import plot_seed_clusters
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i = snakemake.input
    plot_seed_clusters(i.dseg, i.table, i.sidecar, i.stats, i.lme, i.template, snakemake.params.term,
                       snakemake.output.figure, snakemake.wildcards.seed)
