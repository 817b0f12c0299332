"""Snakemake glue: which rsfMRI sessions enter the group model (with reasons) and the group mask."""

from trialmri.fc.group_session_files import write_group_sessions
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    for line in write_group_sessions(p.session_keys, i.sidecars, i.masks, i.participants, p.columns, p.groups,
                                     p.needed, getattr(p, "covariates", []), o.sessions, o.mask):
        print(line)
