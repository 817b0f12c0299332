"""Snakemake glue: every session's outlier slices -> one table (TSV + HTML for the report)."""

from trialmri.dwi.roi_files import write_outlier_tables
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    table = write_outlier_tables(snakemake.input.tables, snakemake.params.sessions, snakemake.output.table,
                                 snakemake.output.html)
    print(f"{len(table)} outlier slices in {table.groupby(['subject', 'session']).ngroups} sessions")
