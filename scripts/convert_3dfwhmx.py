"""Snakemake glue (AFNI engine): 3dFWHMx's stdout into the native fwhmx JSON (and the a b c line)."""

from trialmri.afni_version import read_version
from trialmri.clusters.afni_outputs import convert_fwhmx_outputs
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    out = convert_fwhmx_outputs(snakemake.input.stdout, read_version(snakemake.input.afni_version),
                                snakemake.params.container, snakemake.output.acf, snakemake.output.words)
    print(f"seed {snakemake.wildcards.seed}: 3dFWHMx ACF {out['acf']}, FWHM {out['acf_fwhm_mm']} mm")
