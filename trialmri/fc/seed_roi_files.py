"""The seed and control ROIs on the BOLD grid from files (rule make_seed_rois): the label map
(int16; 0 outside every ROI), its table with each ROI's voxels inside the MNI template's brain, and
a figure of every ROI on the template (and the sample session's seed maps, rule plot_seed_maps).
Centres in MNI mm, radius in mm."""

from __future__ import annotations

import nibabel as nib
import pandas as pd

from trialmri.fc.qc_plots import plot_seed_map, plot_seed_rois
from trialmri.fc.seeds import count_in_mask, roi_label_map
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import write_tsv
from trialmri.templates import mni_on_grid


def write_seed_rois(rois: dict[str, list], radius_mm: float, min_voxels: int, reference_path, template_path,
                    labels_path, table_path, figure_path) -> pd.DataFrame:
    """Spheres of ``radius_mm`` around each ROI's centres (``rois``: name -> centres, seeds then
    controls) on the grid of the BOLD ``reference_path``; an ROI with fewer than ``min_voxels``
    voxels in the template's brain (fraction > 0.5) is an error. Returns the table written."""
    reference = nib.load(reference_path)
    grid = Grid(tuple(reference.shape[:3]), reference.affine)
    labels, table = roi_label_map(rois, radius_mm, grid)
    brain = mni_on_grid(grid)["brain"] > 0.5
    table["voxels_in_template_brain"] = count_in_mask(labels, table, brain, min_voxels,
                                                      where="MNI template brain: ").to_numpy()
    save_nifti(labels_path, labels, grid.affine, "int16")
    write_tsv(table_path, table)
    plot_seed_rois(labels, grid.affine, table, nib.load(template_path), figure_path,
                   title=f"seed and control ROIs: {radius_mm} mm spheres on the "
                         f"{'x'.join(f'{v:g}' for v in grid.voxel_mm)} mm BOLD grid")
    return table


def plot_seed_maps(rois, z_paths, centres: dict, template_path, out_pngs, name: str) -> None:
    """One figure per ROI (``rois``, in the order of ``z_paths`` and ``out_pngs``) of its Fisher z
    map on the template through its first centre; titled with the session's ``name``."""
    template = nib.load(template_path)
    for roi, z_path, png in zip(rois, z_paths, out_pngs):
        plot_seed_map(nib.load(z_path), template, centres[roi], png, title=f"{name}: {roi} seed map (Fisher z)")
