"""Snakemake glue: one seed's 3dLME data table (ours and AFNI's -dataTable form) from the used sessions."""

from pathlib import Path

from trialmri.fc.group_sessions import seed_table
from trialmri.io import read_tsv, write_tsv
from trialmri.lme.afni_commands import afni_data_table
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    sessions = read_tsv(snakemake.input.sessions)
    sessions["subject"] = sessions["subject"].astype(str)
    maps = {tuple(k): path for k, path in zip(snakemake.params.session_keys, snakemake.input.maps)}
    variables = list(snakemake.params.variables)
    table = seed_table(sessions, maps, snakemake.output.table, variables)
    write_tsv(snakemake.output.table, table)
    # 3dLME reads InputFile relative to where it runs: its table names each map by absolute path
    absolute = table.assign(InputFile=[str(Path(m).resolve()) for m in table["InputFile"].map(
        lambda p: Path(snakemake.output.table).parent / p)])
    Path(snakemake.output.afni_table).write_text(afni_data_table(absolute, "subject", variables))
    print(f"seed {snakemake.wildcards.seed}: {len(table)} maps of {table['subject'].nunique()} subjects")
