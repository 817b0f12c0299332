"""Snakemake glue: participants.tsv and the scores table against the config -> phenotype_qc.tsv."""

from trialmri.bids.phenotype import load_participants
from trialmri.tables import read_tsv, write_tsv
from trialmri.qc.phenotype import check_phenotype
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    participants = load_participants(snakemake.config["bids_dir"]) if snakemake.input.participants else None
    table = check_phenotype(participants, read_tsv(snakemake.input.scores), snakemake.params.columns,
                            snakemake.params.arms, snakemake.params.sources)
    write_tsv(snakemake.output.qc, table)
    print(f"{len(table)} phenotype checks, {int((table['status'] == 'fail').sum())} failed")
