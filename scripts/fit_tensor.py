"""Snakemake glue: native WLS tensor fit -> MD, FA, AD, RD in DWI space and the fit's QC row."""

from trialmri.dwi.tensor_files import fit_tensor_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    out = snakemake.output
    fit = fit_tensor_files(snakemake.input.dwi, snakemake.input.bval, snakemake.input.bvec,
                           {"md": out.md, "fa": out.fa, "ad": out.ad, "rd": out.rd},
                           mask_path=snakemake.input.mask, qc_path=out.qc,
                           qc_labels={"subject": snakemake.wildcards.subject,
                                      "session": snakemake.wildcards.session, "engine": "native"})
    print(fit.counts)
