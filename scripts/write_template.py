"""Snakemake glue: the nilearn MNI152 template T1w and brain mask at the configured resolution."""

from trialmri.runlog import log_to
from trialmri.templates import write_template

with log_to(snakemake.log[0]):
    print(write_template(snakemake.params.resolution_mm, snakemake.output.t1w, snakemake.output.mask))
