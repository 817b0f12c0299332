"""Snakemake glue: study 000's Figures 1-4 (clusters and seed-V1 box plots, ΔCRP and Δ symptom
scatters against ΔFC), PNG and SVG."""

from trialmri.fc.followup_figures import FIGURE_FILES, write_followup_figures
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i = snakemake.input
    print(write_followup_figures(read_tsv(i.control_fc), read_tsv(i.control_lme), read_tsv(i.cluster_fc),
                                 read_tsv(i.changes), read_tsv(i.fisher), dict(snakemake.params.items()),
                                 {key: snakemake.output[key] for key in FIGURE_FILES}))
