"""Snakemake glue (AFNI engine): 3dLME's F bucket and residuals -> the native engine's files."""

from pathlib import Path

from trialmri.afni_version import read_version
from trialmri.lme.afni_outputs import convert_lme_outputs
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    work, p = Path(snakemake.input.work), snakemake.params
    meta = convert_lme_outputs(work / "lme.nii.gz", work / "resid.nii.gz", snakemake.input.mask, p.prefix,
                               container=p.container, table_path=snakemake.input.table, model=p.model,
                               qvars=p.qvars, afni_version=read_version(snakemake.input.afni_version))
    print(f"seed {snakemake.wildcards.seed}: {meta['version']} 3dLME {p.model}: {meta['n_rows']} maps, "
          f"{meta['n_subjects']} subjects; voxels {meta['voxels']}")
