"""Snakemake glue: one seed's LME figure (term of interest on the template, p histograms)."""

from trialmri.lme.seed_lme_files import plot_seed_lme
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i = snakemake.input
    plot_seed_lme(i.stats, i.sidecar, i.mask, i.template, snakemake.params.term, snakemake.output.figure,
                  snakemake.wildcards.seed)
