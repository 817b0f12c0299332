"""Snakemake glue: both phase-encoding series of a session -> desc-preproc DWI, bval, bvec."""

from trialmri.dwi.series import combine_series
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    inputs = snakemake.input
    series = [(inputs[f"nii_{d}"], inputs[f"bval_{d}"], inputs[f"bvec_{d}"]) for d in snakemake.params.directions]
    n = combine_series(series, snakemake.output.dwi, snakemake.output.bval, snakemake.output.bvec)
    print(f"combined {len(series)} series, {n} volumes (no distortion, motion or eddy correction yet)")
