"""Snakemake glue: ROI mixed models (Type III F, Satterthwaite df) on a long table, one per group of rows.

Covariates (config rsfmri.followup.covariates) come from participants.tsv per subject and enter
every model as main effects; rows whose subject has no value are left out (counted here)."""

from trialmri.fc.followup_files import MODEL_TABLES, followup_models
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, o = snakemake.params, snakemake.output
    results, lines = followup_models(read_tsv(snakemake.input.table), snakemake.input.participants, p.response,
                                     p.formula, getattr(p, "covariates", []), p.by)
    for name in MODEL_TABLES:
        write_tsv(o[name], results[name])
    for line in lines:
        print(line)
