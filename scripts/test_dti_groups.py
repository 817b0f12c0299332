"""Snakemake glue: ketamine vs vehicle t-tests on Δscores and raw and Winsorized ΔMD."""

from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to
from trialmri.dwi.dti_tests import group_ttests

with log_to(snakemake.log[0]):
    p = snakemake.params
    table = read_tsv(snakemake.input.table)
    tests = group_ttests(table, p.outcomes, p.groups["treatment"], p.groups["control"])
    write_tsv(snakemake.output.ttests, tests)
    print(tests[["roi", "variable", "t", "df", "p"]].to_string(index=False))
