"""Snakemake glue: ANTs rigid registration of input.moving onto input.fixed -> output.xfm."""

from trialmri.dwi.registration import register_rigid
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    register_rigid(snakemake.input.fixed, snakemake.input.moving, snakemake.output.xfm)
    print(f"rigid {snakemake.input.moving} -> {snakemake.input.fixed}")
