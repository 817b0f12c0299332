"""Snakemake glue: CRP (and its transform) and symptom scores per rsfMRI subject and session."""

from trialmri.bids.phenotype import load_participants, transformed_name
from trialmri.fc.followup_files import clinical_sessions
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, bids_dir = snakemake.params, snakemake.config["bids_dir"]
    table = clinical_sessions(read_tsv(snakemake.input.scores), load_participants(bids_dir), p.columns, p.sessions,
                              p.groups, p.crp, p.symptoms, bids_dir)
    write_tsv(snakemake.output.table, table)
    crp = transformed_name(p.crp["score"], p.crp["transform"])
    print(f"{len(table)} sessions of {table.subject.nunique()} subjects; {int(table[crp].notna().sum())} with {crp}")
