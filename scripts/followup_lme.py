"""Snakemake glue: ROI mixed models (Type III F, Satterthwaite df) on a long table, one per group of rows.

Covariates (config rsfmri.followup.covariates) come from participants.tsv per subject and enter
every model as main effects; rows whose subject has no value are left out (counted here)."""

from trialmri.fc.followup import fit_models
from trialmri.tables import read_tsv, write_tsv
from trialmri.lme.covariates import add_covariates, as_covariates, dropped_message, quantitative_names, \
    with_covariates
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, o = snakemake.params, snakemake.output
    table = read_tsv(snakemake.input.table)
    for var in ("group", "treatment", "order"):
        table[var] = table[var].astype("string")
    covariates = as_covariates(getattr(p, "covariates", []))
    if covariates:
        participants = list(snakemake.input.participants)
        if not participants:
            raise ValueError("config rsfmri.followup.covariates needs participants.tsv, which the dataset lacks")
        table, dropped = add_covariates(table, read_tsv(participants[0], text=True), covariates)
        print(dropped_message(dropped, table) or f"covariates {', '.join(c.column for c in covariates)}: "
              "every row has a value")
    quantitative = quantitative_names(covariates)
    results = fit_models(table, p.response, with_covariates(p.formula, covariates), list(p.by),
                         quantitative, center=quantitative)
    for name in ("anova", "coefficients", "emmeans"):
        write_tsv(o[name], results[name])
    for row in results["anova"].itertuples():
        where = " ".join(str(getattr(row, b)) for b in p.by)
        if row.note:
            print(f"{where}: {row.note}")
        else:
            print(f"{where} {row.term}: F({row.df_num}, {row.df_den:.2f}) = {row.F:.3f}, p = {row.p:.3g}")
