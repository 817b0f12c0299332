"""Snakemake glue: the voxels one seed's LME fitted (fit mask code 1), the mask of the cluster step."""

from trialmri.clusters.fit_mask import write_fit_mask
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    n = write_fit_mask(snakemake.input.fitmask, snakemake.output.mask)
    print(f"seed {snakemake.wildcards.seed}: {n} fitted voxels")
