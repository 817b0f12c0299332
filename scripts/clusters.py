"""Snakemake glue: one seed's clusters of the term of interest (p < pthr, at least the simulated
size): label map, table with MNI peaks and atlas labels, JSON with the threshold used."""

from trialmri.clusters.cluster_files import apply_threshold, threshold_summary
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    out = apply_threshold(snakemake.input.stats, snakemake.input.sidecar, snakemake.input.mask,
                          snakemake.input.clustsim, p.term, p.pthr, p.alpha, p.nn, p.sided,
                          snakemake.output.dseg, snakemake.output.table, snakemake.output.sidecar,
                          atlases=p.atlases, prob_threshold=p.atlas_probability)
    print(threshold_summary(out, snakemake.wildcards.seed, p.term, p.pthr, p.alpha, p.nn))
