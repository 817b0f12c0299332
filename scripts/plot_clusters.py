"""Snakemake glue: one seed's clusters figure (glass brain, slices at the peak, cluster list)."""

import json

import nibabel as nib

from trialmri.clusters.plots import plot_clusters
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    meta = json.loads(open(snakemake.input.sidecar).read())
    lme = json.loads(open(snakemake.input.lme).read())
    plot_clusters(nib.load(snakemake.input.dseg), nib.load(snakemake.input.stats), lme.get("volumes", []),
                  snakemake.params.term, read_tsv(snakemake.input.table), meta, snakemake.input.template,
                  snakemake.output.figure, title=f"seed {snakemake.wildcards.seed}")
