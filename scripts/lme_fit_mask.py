"""Snakemake glue: the voxels one seed's LME fitted (fit mask code 1), the mask of the cluster step."""

import nibabel as nib
import numpy as np

from trialmri.io import save_nifti
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    img = nib.load(snakemake.input.fitmask)
    mask = np.asarray(img.dataobj) == 1
    save_nifti(snakemake.output.mask, mask, img.affine, dtype=np.uint8, description="LME fitted voxels")
    print(f"seed {snakemake.wildcards.seed}: {int(mask.sum())} fitted voxels")
