"""Snakemake glue (AFNI engine): 3dFWHMx's stdout into the native fwhmx JSON (and the a b c line)."""

from trialmri.afni_version import read_version
from trialmri.clusters.afni_outputs import read_fwhmx_stdout
from trialmri.clusters.cluster_files import write_acf_words
from trialmri.text_files import write_json
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    out = {**read_fwhmx_stdout(snakemake.input.stdout), "version": read_version(snakemake.input.afni_version),
           "container": snakemake.params.container}
    write_json(snakemake.output.acf, out)
    write_acf_words(snakemake.output.words, out)
    print(f"seed {snakemake.wildcards.seed}: 3dFWHMx ACF {out['acf']}, FWHM {out['acf_fwhm_mm']} mm")
