"""Snakemake glue: one seed's LME figure (term of interest on the template, p histograms)."""

import json

import nibabel as nib
import numpy as np

from trialmri.lme.plots import plot_lme_overview, plot_not_estimable
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    meta = json.loads(open(snakemake.input.sidecar).read())
    mask = np.asarray(nib.load(snakemake.input.mask).dataobj) > 0
    title = f"seed {snakemake.wildcards.seed}: {meta['n_rows']} maps of {meta['n_subjects']} subjects, {meta['engine']}"
    if meta.get("fitted", True):
        plot_lme_overview(nib.load(snakemake.input.stats), meta["volumes"], mask, snakemake.input.template,
                          snakemake.params.term, snakemake.output.figure, title=title)
    else:
        plot_not_estimable(meta["reason"], snakemake.output.figure, title=title)
