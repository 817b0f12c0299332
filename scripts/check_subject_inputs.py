"""Snakemake glue: per-subject input checks -> sub-X_desc-inputs_qc.tsv."""

from trialmri.qc.inputs import check_subject_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    print("\n".join(check_subject_files(snakemake.wildcards.subject, dict(snakemake.input.items()), p.denoise,
                                        p.bold_tr_s, p.tr_source, snakemake.output.qc)))
