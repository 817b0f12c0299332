"""Snakemake glue: ROI masks on the MD maps' grid, their voxel counts and a figure."""

from trialmri.dwi.roi_files import write_dti_rois
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o = snakemake.input, snakemake.output
    table = write_dti_rois(snakemake.params.rois, i.reference[0], i.template, o.masks, o.counts, o.figure)
    print(table[["roi", "n_voxels", "volume_mm3"]].to_string(index=False))
