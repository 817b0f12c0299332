"""Snakemake glue: the nilearn MNI152 template T1w and brain mask at the configured resolution."""

import numpy as np

from trialmri.io import save_nifti
from trialmri.runlog import log_to
from trialmri.templates import mni_grid, mni_on_grid

with log_to(snakemake.log[0]):
    grid = mni_grid(float(snakemake.params.resolution_mm))
    maps = mni_on_grid(grid)
    save_nifti(snakemake.output.t1w, maps["t1"], grid.affine)
    save_nifti(snakemake.output.mask, maps["brain"] > 0.5, grid.affine, dtype=np.uint8)
    print(f"template grid {grid.shape} at {snakemake.params.resolution_mm} mm")
