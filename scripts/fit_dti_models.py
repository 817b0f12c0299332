"""Snakemake glue: OLS per ROI x outcome with sensitivity models, Table 2 and correlations."""

from trialmri.dwi.roi_md import MD_TABLE_UNITS
from trialmri.io import write_json
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to
from trialmri.dwi.dti_tests import MAIN_MODEL, correlations, fit_models, model_description, table2
from trialmri.dwi.table2_html import write_table2_html

with log_to(snakemake.log[0]):
    o, p = snakemake.output, snakemake.params
    stats, groups = p.statistics, p.groups
    table = read_tsv(snakemake.input.table)
    md_column = f"delta_md_{stats['delta_md']}"
    coefficients, models = fit_models(table, stats["model"], list(stats["outcomes"]), md_column,
                                      list(stats["sensitivity"]))
    coefficients = coefficients.merge(models, on=["roi", "outcome", "model"])
    main = coefficients["model"] == MAIN_MODEL
    write_tsv(o.main, coefficients[main])
    write_tsv(o.sensitivity, coefficients[~main])
    rows = table2(coefficients, models, stats["table2_term"])
    write_tsv(o.table2, rows)
    description = model_description(stats, groups, MD_TABLE_UNITS)
    for path in (o.main_json, o.sensitivity_json, o.table2_json):
        write_json(path, description)
    n = f"{groups['treatment']} n = {(table.drop_duplicates('subject')['group'] == 1).sum()}, " \
        f"{groups['control']} n = {(table.drop_duplicates('subject')['group'] == 0).sum()}"
    caption = (f"Table 2. The {stats['table2_term']} term of {stats['model']} per ROI and outcome "
               f"(ΔMD {stats['delta_md']}; {n}), and with each covariate added. {description['beta']}. "
               f"Group: {description['variables']['group']}. p two-tailed; p < {stats['alpha']} in bold.")
    write_table2_html(o.table2_html, rows, {r: s.get("label", r) for r, s in p.rois.items()},
                      stats["outcomes"],
                      {MAIN_MODEL: stats["model"]} | {c: "+ " + s.get("label", c) for c, s in stats["sensitivity"].items()},
                      caption, stats["alpha"])
    order = [groups["treatment"], groups["control"]]
    write_tsv(o.correlations, correlations(table, list(stats["outcomes"]), md_column, order))
    print(rows[rows["model"] == MAIN_MODEL][["roi", "outcome", "beta", "t", "df", "p"]].to_string(index=False))
