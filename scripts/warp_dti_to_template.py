"""Snakemake glue: MD and FA resampled once into MNI through the composed ANTs chain."""

from trialmri.dwi.warp_files import warp_session_maps
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    print(warp_session_maps(dict(snakemake.input.items()), dict(snakemake.output.items())))
