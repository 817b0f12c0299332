"""Snakemake glue: ΔMD per subject and ROI, Winsorized, with Δscores and covariates."""

from trialmri.bids.phenotype import by_subject, load_participants
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to
from trialmri.dwi.dti_table import analysis_table

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    participants = load_participants(snakemake.config["bids_dir"])
    groups = by_subject(participants)[p.group_column]
    stats = p.statistics
    table, report, exclusions = analysis_table(
        read_tsv(i.roi_md), {s: groups[s] for s in p.subjects}, participants, read_tsv(i.scores),
        pre=p.pre, post=p.post, treatment=p.groups["treatment"],
        outcomes={name: name for name in stats["outcomes"]},
        covariates=stats["sensitivity"], participant_columns=p.phenotype["participants"],
        winsorizing=stats["winsorize"], min_coverage=stats["min_roi_coverage"])
    write_tsv(o.table, table)
    write_tsv(o.winsorizing, report)
    write_tsv(o.exclusions, exclusions)
    print(f"{table['subject'].nunique()} subjects x {table['roi'].nunique()} ROIs; "
          f"Winsorizing changed {int(report['n_changed'].sum())} values; {len(exclusions)} exclusion rows")
