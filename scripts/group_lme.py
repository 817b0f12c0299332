"""Snakemake glue (native engine): one seed's voxelwise LME (trialmri lme) inside the group mask.

Covariates (config rsfmri.group_model.covariates, columns of the data table) are added to the
formula as main effects; quantitative ones are centred at their mean over the table's rows, as
3dLME centres -qVars.

If the data cannot estimate the model (too few subjects, a group or order level missing, a
confounded term), the outputs say so and why (``"fitted": false``) and the workflow goes on."""

from trialmri.lme.covariates import quantitative_names, with_covariates
from trialmri.stats.formula import NotEstimable
from trialmri.lme.lme_files import run_lme_files, write_not_estimable
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    seed = snakemake.wildcards.seed
    covariates = getattr(snakemake.params, "covariates", [])
    formula = with_covariates(snakemake.params.formula, covariates)
    args = (snakemake.input.table, formula, "subject", snakemake.params.prefix)
    try:
        meta = run_lme_files(*args, mask_path=snakemake.input.mask, quantitative=quantitative_names(covariates))
    except NotEstimable as err:
        meta = write_not_estimable(*args, snakemake.input.mask, str(err))
        print(f"seed {seed}: model not estimable from {meta['n_rows']} maps of {meta['n_subjects']} subjects: "
              f"{err}")
    else:
        print(f"seed {seed}: {formula}: {meta['n_rows']} maps, {meta['n_subjects']} subjects; "
              f"voxels {meta['voxels']}; {meta['voxels_boundary']} with zero subject variance")
        for name, center in meta["qvar_centers"].items():
            print(f"  {name} centred at {center:.6g} (its mean over the table's rows, as 3dLME)")
