"""Snakemake glue: ROI mixed models (Type III F, Satterthwaite df) on a long table, one per group of rows."""

from trialmri.fc.followup import fit_models
from trialmri.io import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, o = snakemake.params, snakemake.output
    table = read_tsv(snakemake.input.table).astype({"subject": str, "session": str})
    for var in ("group", "treatment", "order"):
        table[var] = table[var].astype("string")
    results = fit_models(table, p.response, p.formula, list(p.by))
    for name in ("anova", "coefficients", "emmeans"):
        write_tsv(o[name], results[name])
    for row in results["anova"].itertuples():
        where = " ".join(str(getattr(row, b)) for b in p.by)
        if row.note:
            print(f"{where}: {row.note}")
        else:
            print(f"{where} {row.term}: F({row.df_num}, {row.df_den:.2f}) = {row.F:.3f}, p = {row.p:.3g}")
