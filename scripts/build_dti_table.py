"""Snakemake glue: ΔMD per subject and ROI, Winsorized, with Δscores and covariates."""

from trialmri.bids.phenotype import load_participants
from trialmri.dwi.dti_model_files import dti_analysis_tables
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    table, report, exclusions = dti_analysis_tables(
        read_tsv(i.roi_md), read_tsv(i.scores), load_participants(snakemake.config["bids_dir"]), p.subjects,
        p.group_column, p.pre, p.post, p.groups, p.phenotype, p.statistics)
    for path, frame in ((o.table, table), (o.winsorizing, report), (o.exclusions, exclusions)):
        write_tsv(path, frame)
    print(f"{table['subject'].nunique()} subjects x {table['roi'].nunique()} ROIs; "
          f"Winsorizing changed {int(report['n_changed'].sum())} values; {len(exclusions)} exclusion rows")
