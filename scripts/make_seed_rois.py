"""Snakemake glue: seed and control spheres on the BOLD grid -> label map, table, figure."""

import nibabel as nib

from trialmri.fc.qc_plots import plot_seed_rois
from trialmri.fc.seeds import count_in_mask, roi_label_map
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import write_tsv
from trialmri.runlog import log_to
from trialmri.templates import mni_on_grid

with log_to(snakemake.log[0]):
    reference = nib.load(snakemake.input.reference[0])
    grid = Grid(tuple(reference.shape[:3]), reference.affine)
    labels, table = roi_label_map(snakemake.params.rois, snakemake.params.radius_mm, grid)
    brain = mni_on_grid(grid)["brain"] > 0.5
    table["voxels_in_template_brain"] = count_in_mask(
        labels, table, brain, snakemake.params.min_voxels, where="MNI template brain: ").to_numpy()
    save_nifti(snakemake.output.labels, labels, grid.affine, "int16")
    write_tsv(snakemake.output.table, table)
    plot_seed_rois(labels, grid.affine, table, nib.load(snakemake.input.template), snakemake.output.figure,
                   title=f"seed and control ROIs: {snakemake.params.radius_mm} mm spheres on the "
                         f"{'x'.join(f'{v:g}' for v in grid.voxel_mm)} mm BOLD grid")
    print(table.to_string(index=False))
