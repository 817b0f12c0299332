"""Snakemake glue: mean b0 and b0 brain mask of the preprocessed series."""

from trialmri.dwi.series import write_reference
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    n = write_reference(snakemake.input.dwi, snakemake.input.bval, snakemake.output.b0, snakemake.output.mask)
    print(f"brain mask: {n} voxels")
