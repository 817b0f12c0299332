"""Snakemake glue: registration overlay and MD histogram of one session."""

from trialmri.dwi.qc_plots import md_histogram, registration_overlay
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, w = snakemake.input, snakemake.output, snakemake.wildcards
    title = f"sub-{w.subject} ses-{w.session} ({snakemake.params.space})"
    registration_overlay(i.fa, i.template, o.overlay, title)
    md_histogram(i.md_dwi, i.mask, i.md, o.histogram, title)
