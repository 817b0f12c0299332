"""Snakemake glue: participants.tsv and sessions tables against the column mapping -> phenotype_qc.tsv."""

from trialmri.bids.phenotype import load_sessions
from trialmri.io import read_tsv, write_tsv
from trialmri.qc.phenotype import check_phenotype
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    participants = read_tsv(snakemake.input.participants[0]) if snakemake.input.participants else None
    table = check_phenotype(participants, load_sessions(snakemake.input.sessions),
                            snakemake.params.columns, snakemake.params.arms)
    write_tsv(snakemake.output.qc, table)
    print(f"{len(table)} phenotype checks, {int((table['status'] == 'fail').sum())} failed")
