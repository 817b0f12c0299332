"""Snakemake glue (native engine): one seed's voxelwise LME (trialmri lme) inside the group mask."""

from trialmri.lme.lme_files import run_lme_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    meta = run_lme_files(snakemake.input.table, snakemake.params.formula, "subject", snakemake.params.prefix,
                         mask_path=snakemake.input.mask)
    print(f"seed {snakemake.wildcards.seed}: {meta['n_rows']} maps, {meta['n_subjects']} subjects; "
          f"voxels {meta['voxels']}; {meta['voxels_boundary']} with zero subject variance")
