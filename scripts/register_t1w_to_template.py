"""Snakemake glue: ANTs affine + SyN of the (DWI-masked) T1w to the MNI template."""

from trialmri.dwi.registration import register_t1w_to_template
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o = snakemake.input, snakemake.output
    register_t1w_to_template(i.t1w, i.template, i.dwi_mask, i.dwi_to_t1w, o.affine, o.warp,
                             masked_t1w_out=o.brain, syn_iterations=snakemake.params.syn_iterations)
    print(f"T1w -> template: {o.affine}, {o.warp}")
