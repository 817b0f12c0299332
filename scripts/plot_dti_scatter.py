"""Snakemake glue: Figure 1-2 panel of one ROI x outcome (Δscore vs ΔMD per group)."""

from trialmri.dwi.dti_model_files import plot_roi_scatter
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    w, p, o = snakemake.wildcards, snakemake.params, snakemake.output
    plot_roi_scatter(read_tsv(snakemake.input.table), w.roi, w.outcome, p.statistics, p.rois, p.groups, o.png, o.svg)
