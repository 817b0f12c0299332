"""Snakemake glue (AFNI engine): 3dLME's F bucket and residuals -> the native engine's files."""

from pathlib import Path

from trialmri.lme.afni_commands import convert_lme_outputs
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    work = Path(snakemake.input.work)
    convert_lme_outputs(work / "lme.nii.gz", work / "resid.nii.gz", snakemake.input.mask,
                        snakemake.params.prefix, container=snakemake.params.container)
