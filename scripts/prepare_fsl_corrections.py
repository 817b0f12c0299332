"""Snakemake glue: FSL engine inputs -> acqparams.txt, index.txt, topup datain, b0 list, eddy's gradients."""

from trialmri.bids.fieldmaps import named_series
from trialmri.dwi.fsl_inputs import prepare_fsl_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    named = named_series(snakemake.input, snakemake.params.directions)  # b0-only series: no bval/bvec
    print(prepare_fsl_files(named, dict(snakemake.output.items())))
