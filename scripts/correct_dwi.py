"""Snakemake glue: native corrections of one session -> desc-preproc DWI, field, motion, QC."""

from trialmri.dwi.correction_files import correct_session_files
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    inputs, wc = snakemake.input, snakemake.wildcards
    named = {d: (inputs[f"nii_{d}"], inputs[f"bval_{d}"], inputs[f"bvec_{d}"], inputs[f"json_{d}"])
             for d in snakemake.params.directions}
    result = correct_session_files(named, dict(snakemake.output.items()), snakemake.params.iterations,
                                   title=f"sub-{wc.subject} ses-{wc.session}", progress=print)
    f = result.field
    print(f"field {f.field_hz.min():.1f} to {f.field_hz.max():.1f} Hz in {f.seconds:.1f} s; b0 mismatch "
          f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f}; {len(result.outliers)} outlier slices; "
          f"{result.combination}")
