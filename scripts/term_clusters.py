"""Snakemake glue: one seed's clusters of every term of the model (study 000's Supplementary
Table S4), one table with a ``term`` column and a JSON with each term's threshold."""

from trialmri.clusters.cluster_files import apply_threshold_terms, terms_summary
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    out = apply_threshold_terms(i.stats, i.sidecar, i.mask, i.clustsim, p.pthr, p.alpha, p.nn, p.sided,
                                snakemake.output.table, snakemake.output.sidecar, atlases=p.atlases,
                                prob_threshold=p.atlas_probability)
    print(terms_summary(out, snakemake.wildcards.seed))
