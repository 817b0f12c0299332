"""DTI ROI steps from files (rules make_dti_rois, extract_roi_md) and the sessions' outlier slices
in one table (rule collect_dwi_outliers). Units as in :mod:`trialmri.dwi.roi_md`: MD maps in mm²/s,
tables in 10⁻³ mm²/s."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.dwi.correction_plots import outlier_table_html
from trialmri.dwi.qc_plots import roi_overlay
from trialmri.dwi.roi_md import ROI_MD_COLUMNS, roi_masks, roi_mean_md, roi_voxel_table
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

OUTLIER_COLUMNS = ["subject", "session", "series", "volume", "slice", "z", "drop"]


def image_grid(path) -> Grid:
    """The 3-D grid (shape, affine) of an image."""
    img = nib.load(path)
    return Grid(tuple(img.shape[:3]), img.affine)


def write_dti_rois(specs: dict[str, dict], reference_path, template_path, mask_paths, counts_path,
                   figure_path) -> pd.DataFrame:
    """Each ROI of ``specs`` on the grid of the MD map ``reference_path`` -> one uint8 mask per ROI
    (``mask_paths``, in ``specs`` order), their voxel counts (TSV) and an overlay figure; returns
    the counts table."""
    grid = image_grid(reference_path)
    masks = roi_masks(specs, grid)
    for path, mask in zip(mask_paths, masks.values()):
        save_nifti(path, mask, grid.affine, np.uint8)
    table = roi_voxel_table(masks, grid, specs)
    write_tsv(counts_path, table)
    roi_overlay(masks, grid.affine, template_path, figure_path, {n: s.get("label", n) for n, s in specs.items()})
    return table


def roi_md_table(mask_paths, rois, map_paths, sessions) -> pd.DataFrame:
    """Mean MD per ROI of every MD map (long table, ROI_MD_COLUMNS): ``rois`` names the masks of
    ``mask_paths``; ``sessions`` gives each map's ``(subject, session)``. All masks share the grid
    of the first."""
    grid = image_grid(mask_paths[0])
    masks = {name: nib.load(path).get_fdata() > 0 for name, path in zip(rois, mask_paths)}
    frames = [roi_mean_md(path, masks, grid).assign(subject=sub, session=ses)
              for path, (sub, ses) in zip(map_paths, sessions)]
    return pd.concat(frames, ignore_index=True)[ROI_MD_COLUMNS] if frames else pd.DataFrame(columns=ROI_MD_COLUMNS)


def outlier_table(table_paths, sessions) -> pd.DataFrame:
    """Every session's outlier slices in one table (OUTLIER_COLUMNS): ``sessions`` gives each
    table's ``(subject, session)``; no session gives an empty table with those columns."""
    frames = [read_tsv(path).assign(subject=sub, session=ses) for path, (sub, ses) in zip(table_paths, sessions)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=OUTLIER_COLUMNS)


def write_outlier_tables(table_paths, sessions, tsv_path, html_path) -> pd.DataFrame:
    """:func:`outlier_table` as TSV and as the report's HTML table; returns the table."""
    table = outlier_table(table_paths, sessions)
    write_tsv(tsv_path, table)
    with open(html_path, "w") as f:
        f.write(outlier_table_html(table))
    return table
