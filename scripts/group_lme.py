"""Snakemake glue (native engine): one seed's voxelwise LME (trialmri lme) inside the group mask.

Covariates (config rsfmri.group_model.covariates, columns of the data table) are added to the
formula as main effects; quantitative ones are centred at their mean over the table's rows, as
3dLME centres -qVars.

If the data cannot estimate the model (too few subjects, a group or order level missing, a
confounded term), the outputs say so and why (``"fitted": false``) and the workflow goes on."""

from trialmri.lme.seed_lme_files import fit_seed_lme
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    for line in fit_seed_lme(snakemake.input.table, p.formula, getattr(p, "covariates", []), p.prefix,
                             snakemake.input.mask, snakemake.wildcards.seed):
        print(line)
