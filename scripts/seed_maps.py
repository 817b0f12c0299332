"""Snakemake glue (native engine): denoised BOLD + ROI labels -> Fisher-z map per ROI, ROI table.

A session the denoising excluded (too few volumes; reason in its sidecar) gets all-NaN maps."""

from trialmri.fc.seed_map_files import write_session_seed_maps
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, w = snakemake.input, snakemake.output, snakemake.wildcards
    print(write_session_seed_maps(i.bold, i.labels, i.mask, i.denoised, i.table, snakemake.params.rois,
                                  snakemake.params.min_voxels, o.z, o.netcc, o.sidecar,
                                  f"sub-{w.subject} ses-{w.session}"))
