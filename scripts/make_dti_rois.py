"""Snakemake glue: ROI masks on the MD maps' grid, their voxel counts and a figure."""

import nibabel as nib
import numpy as np

from trialmri.dwi.qc_plots import roi_overlay
from trialmri.dwi.roi_md import roi_masks, roi_voxel_table
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, specs = snakemake.input, snakemake.output, snakemake.params.rois
    reference = nib.load(i.reference[0])
    grid = Grid(reference.shape[:3], reference.affine)
    masks = roi_masks(specs, grid)
    for path, (name, mask) in zip(o.masks, masks.items()):
        save_nifti(path, mask, grid.affine, np.uint8)
    table = roi_voxel_table(masks, grid, specs)
    write_tsv(o.counts, table)
    roi_overlay(masks, grid.affine, i.template, o.figure, {n: s.get("label", n) for n, s in specs.items()})
    print(table[["roi", "n_voxels", "volume_mm3"]].to_string(index=False))
