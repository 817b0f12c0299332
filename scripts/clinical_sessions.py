"""Snakemake glue: CRP (and its transform) and symptom scores per rsfMRI subject and session."""

from trialmri.bids.phenotype import load_participants
from trialmri.fc.followup import clinical_table, transform_values, transformed_name
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    participants = load_participants(snakemake.config["bids_dir"])
    if participants is None:
        raise ValueError(f"{snakemake.config['bids_dir']}/participants.tsv is missing; the CRP and symptom "
                         "analyses need each subject's group")
    measures = {name: name for name in (p.crp["score"], *p.symptoms)}
    table = clinical_table(read_tsv(snakemake.input.scores), participants, p.columns, p.sessions,
                           p.groups, measures)
    crp = transformed_name(p.crp["score"], p.crp["transform"])
    if crp != p.crp["score"]:
        table.insert(table.columns.get_loc(p.crp["score"]) + 1, crp,
                     transform_values(table[p.crp["score"]], p.crp["transform"], f"CRP ({p.crp['score']})"))
    write_tsv(snakemake.output.table, table)
    print(f"{len(table)} sessions of {table.subject.nunique()} subjects; "
          f"{int(table[crp].notna().sum())} with {crp}")
