"""Snakemake glue: every clinical score (phenotype.scores) in one long table -> scores.tsv + .json."""

from trialmri.bids.scores import load_scores
from trialmri.io import write_json
from trialmri.tables import write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    table = load_scores(snakemake.config["bids_dir"], p.scores, p.sessions_files)
    write_tsv(snakemake.output.table, table)
    write_json(snakemake.output.sidecar, {"participant_id": {"Description": "subject (sub-<label>)"},
                                          "session_id": {"Description": "session (ses-<label>)"},
                                          **p.metadata})
    sources = "; ".join(f"{name} from {meta['Source']}" for name, meta in p.metadata.items())
    print(f"{len(p.scores)} scores over {table['participant_id'].nunique()} participants and "
          f"{len(table)} sessions: {sources}")
