"""Snakemake glue: FSL engine inputs -> acqparams.txt, index.txt, topup datain, b0 list, merged gradients."""

import nibabel as nib
import numpy as np

from trialmri.dwi.acqparams import check_pair, read_acquisition, write_fsl_files
from trialmri.dwi.gradients import is_b0, read_fsl_gradients, write_fsl_gradients
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    inputs, out = snakemake.input, snakemake.output
    acqs, bvals, bvecs, n_b0 = [], [], [], []
    for d in snakemake.params.directions:
        shape = nib.load(inputs[f"nii_{d}"]).shape
        acqs.append(read_acquisition(inputs[f"json_{d}"], shape))
        b, g = read_fsl_gradients(inputs[f"bval_{d}"], inputs[f"bvec_{d}"], n_volumes=shape[3])
        bvals.append(b)
        bvecs.append(g)
        n_b0.append(int(is_b0(b).sum()))
    check_pair(acqs)
    write_fsl_files(acqs, [len(b) for b in bvals], out.acqparams, out.index, out.b0_acqparams, n_b0)
    merged = np.concatenate(bvals)
    with open(out.b0_volumes, "w") as f:
        f.write(",".join(str(v) for v in np.flatnonzero(is_b0(merged))) + "\n")
    write_fsl_gradients(out.bval, out.bvec, merged, np.concatenate(bvecs))
    print(f"{len(acqs)} series, {len(merged)} volumes, {sum(n_b0)} b0s for topup")
