"""Snakemake glue: native corrections of one session -> desc-preproc DWI, field, motion, QC."""

from trialmri.bids.fieldmaps import named_series
from trialmri.dwi.correction_files import correct_session_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    wc = snakemake.wildcards
    named = named_series(snakemake.input, snakemake.params.directions)  # b0-only series: no bval/bvec
    result = correct_session_files(named, dict(snakemake.output.items()), snakemake.params.iterations,
                                   title=f"sub-{wc.subject} ses-{wc.session}", progress=print)
    f = result.field
    print("reverse phase encoding: " + (f"b0-only series {', '.join(result.field_only)} in fmap/ (the field only)"
                                        if result.field_only else "two full DWI series"))
    print(f"field {f.field_hz.min():.1f} to {f.field_hz.max():.1f} Hz in {f.seconds:.1f} s; b0 mismatch "
          f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f}; {len(result.outliers)} outlier slices; "
          f"{result.combination}")
