"""Snakemake glue: mean Fisher z of every seed map inside each control ROI (V1), per session."""

from trialmri.fc.followup_files import write_control_fc
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    for line in write_control_fc(i.sessions, i.mask, i.labels, i.table, i.maps, p.seeds, p.controls,
                                 snakemake.output.table):
        print(line)
