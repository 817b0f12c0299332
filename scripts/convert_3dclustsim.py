"""Snakemake glue (AFNI engine): 3dClustSim's nine tables into the native clustsim JSON, tables copied."""

from trialmri.afni_version import read_version
from trialmri.clusters.afni_outputs import convert_clustsim_outputs
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    table = convert_clustsim_outputs(i.work, i.acf, i.mask, p.iterations, p.seed, read_version(i.afni_version),
                                     p.container, p.prefix, snakemake.output[0])
    print(f"seed {snakemake.wildcards.seed}: 3dClustSim NN1 2-sided: {table['NN1']['2-sided']}")
