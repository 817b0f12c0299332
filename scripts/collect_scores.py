"""Snakemake glue: every clinical score (phenotype.scores) in one long table -> scores.tsv + .json."""

from trialmri.bids.score_files import write_scores
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p, o = snakemake.params, snakemake.output
    print(write_scores(snakemake.config["bids_dir"], p.scores, p.sessions_files, p.metadata, o.table, o.sidecar))
