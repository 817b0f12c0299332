"""Snakemake glue: mean Fisher z of each seed's map inside each of its surviving clusters, per session."""

import pandas as pd

from trialmri.fc.followup import cluster_rois, fc_table
from trialmri.fc.roi_values import load_labels
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    sessions = read_tsv(i.sessions)
    n = len(sessions)
    maps, rois, regions = {}, {}, {}
    for k, (seed, dseg_path, table_path) in enumerate(zip(p.seeds, i.dsegs, i.tables)):
        dseg, _ = load_labels(dseg_path)
        rois[seed], regions[seed] = cluster_rois(dseg, read_tsv(table_path), p.atlases)
        maps[seed] = list(i.maps[k * n:(k + 1) * n])
    table = fc_table(sessions, maps, rois)
    table.insert(table.columns.get_loc("roi") + 1, "region",
                 [regions[s][r] for s, r in zip(table.seed, table.roi)] if len(table) else pd.Series(dtype=str))
    write_tsv(snakemake.output.table, table)
    found = {s: len(r) for s, r in rois.items()}
    print(f"clusters per seed: {found}; {len(table)} rows")
