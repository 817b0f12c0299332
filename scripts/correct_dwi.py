"""Snakemake glue: native corrections of one session -> desc-preproc DWI, field, motion, QC."""

from trialmri.bids.fieldmaps import named_series
from trialmri.dwi.correction_files import correct_session_files, correction_summary
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    wc = snakemake.wildcards
    named = named_series(snakemake.input, snakemake.params.directions)  # b0-only series: no bval/bvec
    result = correct_session_files(named, dict(snakemake.output.items()), snakemake.params.iterations,
                                   title=f"sub-{wc.subject} ses-{wc.session}", progress=print)
    print("\n".join(correction_summary(result)))
