"""Snakemake glue: one seed's 3dLME data table (ours and AFNI's -dataTable form) from the used sessions."""

from trialmri.fc.group_session_files import write_seed_tables
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    print(write_seed_tables(snakemake.input.sessions, p.session_keys, snakemake.input.maps, p.variables, p.qvars,
                            snakemake.output.table, snakemake.output.afni_table, snakemake.wildcards.seed))
