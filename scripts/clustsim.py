"""Snakemake glue (native engine): one seed's cluster-size table (trialmri clustsim) for the ACF of
its residuals, inside the fitted voxels."""

from trialmri.clusters.smoothness_files import seed_clustsim
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    print(seed_clustsim(snakemake.input.mask, snakemake.input.acf, p.pthr, p.athr, p.iterations, p.seed, p.prefix,
                        snakemake.output[0], snakemake.threads, p.noise, snakemake.wildcards.seed))
