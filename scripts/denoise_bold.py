"""Snakemake glue: one session's BOLD -> denoised series, mask, censoring table, sidecar, FD plot."""

from trialmri.fc.denoise_session_files import write_denoised_session
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, w = snakemake.input, snakemake.output, snakemake.wildcards
    for line in write_denoised_session(i.bold, i.get("mask"), snakemake.params.denoise, o.bold, o.mask, o.censoring,
                                       o.sidecar, o.fd_figure, f"sub-{w.subject} ses-{w.session}"):
        print(line)
