"""Snakemake glue: one Fisher-z seed map per ROI of the sample subject and session -> figures."""

from trialmri.fc.seed_roi_files import plot_seed_maps
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, w = snakemake.params, snakemake.wildcards
    plot_seed_maps(p.rois, snakemake.input.z, p.centres, snakemake.input.template, snakemake.output.figures,
                   f"sub-{w.subject} ses-{w.session}")
