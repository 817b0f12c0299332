"""Snakemake glue: one seed's 3dLME data table (ours and AFNI's -dataTable form) from the used sessions."""

from pathlib import Path

from trialmri.fc.group_sessions import relative_to, seed_table
from trialmri.tables import read_tsv, write_tsv
from trialmri.lme.afni_commands import afni_data_table
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    sessions = read_tsv(snakemake.input.sessions)
    sessions["subject"] = sessions["subject"].astype(str)
    maps = {tuple(k): path for k, path in zip(snakemake.params.session_keys, snakemake.input.maps)}
    variables = list(snakemake.params.variables)
    table = seed_table(sessions, maps, variables)
    write_tsv(snakemake.output.table, relative_to(table, Path(snakemake.output.table).parent))
    # 3dLME reads InputFile relative to where it runs (run_3dlme runs it in this folder): relative
    # paths hold only BIDS names, so the folders above may have spaces or quotes
    afni = relative_to(table, Path(snakemake.output.afni_table).parent)
    Path(snakemake.output.afni_table).write_text(afni_data_table(afni, "subject", variables,
                                                                     snakemake.params.qvars))
    print(f"seed {snakemake.wildcards.seed}: {len(table)} maps of {table['subject'].nunique()} subjects")
