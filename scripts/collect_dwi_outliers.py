"""Snakemake glue: every session's outlier slices -> one table (TSV + HTML for the report)."""

import pandas as pd

from trialmri.dwi.correction_plots import outlier_table_html
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    frames = [read_tsv(path).assign(subject=sub, session=ses)
              for path, (sub, ses) in zip(snakemake.input.tables, snakemake.params.sessions)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    columns = ["subject", "session", "series", "volume", "slice", "z", "drop"]
    table = table.reindex(columns=columns)
    write_tsv(snakemake.output.table, table)
    with open(snakemake.output.html, "w") as f:
        f.write(outlier_table_html(table))
    print(f"{len(table)} outlier slices in {table.groupby(['subject', 'session']).ngroups} sessions")
