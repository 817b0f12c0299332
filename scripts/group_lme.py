"""Snakemake glue (native engine): one seed's voxelwise LME (trialmri lme) inside the group mask.

If the data cannot estimate the model (too few subjects, a group or order level missing, a
confounded term), the outputs say so and why (``"fitted": false``) and the workflow goes on."""

from trialmri.lme.design import NotEstimable
from trialmri.lme.lme_files import run_lme_files, write_not_estimable
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    seed = snakemake.wildcards.seed
    args = (snakemake.input.table, snakemake.params.formula, "subject", snakemake.params.prefix)
    try:
        meta = run_lme_files(*args, mask_path=snakemake.input.mask)
    except NotEstimable as err:
        meta = write_not_estimable(*args, snakemake.input.mask, str(err))
        print(f"seed {seed}: model not estimable from {meta['n_rows']} maps of {meta['n_subjects']} subjects: "
              f"{err}")
    else:
        print(f"seed {seed}: {meta['n_rows']} maps, {meta['n_subjects']} subjects; "
              f"voxels {meta['voxels']}; {meta['voxels_boundary']} with zero subject variance")
