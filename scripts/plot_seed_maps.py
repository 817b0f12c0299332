"""Snakemake glue: one Fisher-z seed map per ROI of the sample subject and session -> figures."""

import nibabel as nib

from trialmri.fc.qc_plots import plot_seed_map
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    template = nib.load(snakemake.input.template)
    for roi, z_path, png in zip(snakemake.params.rois, snakemake.input.z, snakemake.output.figures):
        plot_seed_map(nib.load(z_path), template, snakemake.params.centres[roi], png,
                      title=f"sub-{snakemake.wildcards.subject} ses-{snakemake.wildcards.session}: "
                            f"{roi} seed map (Fisher z)")
