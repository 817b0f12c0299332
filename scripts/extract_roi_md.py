"""Snakemake glue: mean MD per ROI for every DTI subject and session (long table)."""

import nibabel as nib
import pandas as pd

from trialmri.dwi.roi_md import ROI_MD_COLUMNS, roi_mean_md
from trialmri.grids import Grid
from trialmri.tables import write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    first = nib.load(i.masks[0])
    grid = Grid(first.shape[:3], first.affine)
    masks = {name: nib.load(path).get_fdata() > 0 for name, path in zip(p.rois, i.masks)}
    frames = [roi_mean_md(path, masks, grid).assign(subject=sub, session=ses)
              for path, (sub, ses) in zip(i.maps, p.sessions)]
    table = pd.concat(frames, ignore_index=True)[ROI_MD_COLUMNS] if frames else pd.DataFrame(columns=ROI_MD_COLUMNS)
    write_tsv(o.table, table)
    print(f"{len(i.maps)} MD maps x {len(masks)} ROIs")
