"""Snakemake glue (AFNI engine): 3dClustSim's nine tables into the native clustsim JSON, tables copied."""

import json
import shutil

from trialmri import __version__
from trialmri.afni_version import read_version
from trialmri.clusters.afni_commands import TABLE_SUFFIXES
from trialmri.clusters.afni_outputs import read_clustsim_tables
from trialmri.text_files import write_json
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    work_prefix = f"{snakemake.input.work}/clustsim"
    table = read_clustsim_tables(work_prefix)
    acf = json.loads(open(snakemake.input.acf).read())
    meta = {"acf": acf.get("acf"), "mask": snakemake.input.mask, "iterations": snakemake.params.iterations,
            "seed": snakemake.params.seed, "engine": "AFNI 3dClustSim -acf",
            "version": read_version(snakemake.input.afni_version), "container": snakemake.params.container,
            "converted_by": f"trialmri {__version__}"}
    write_json(snakemake.output[0], {**table, **meta})
    for suffix in TABLE_SUFFIXES:
        shutil.copyfile(f"{work_prefix}{suffix}", f"{snakemake.params.prefix}{suffix}")
    print(f"seed {snakemake.wildcards.seed}: 3dClustSim NN1 2-sided: {table['NN1']['2-sided']}")
