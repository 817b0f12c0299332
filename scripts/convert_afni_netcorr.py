"""Snakemake glue (AFNI engine): 3dNetCorr's outputs -> our z map names and ROI table.

A session the denoising excluded (3dNetCorr was not run; reason in its sidecar) gets NaN maps."""

import json

from trialmri import __version__
from trialmri.afni_version import read_version
from trialmri.fc.afni_outputs import convert_netcorr_outputs
from trialmri.fc.netcorr_files import label_names, write_excluded
from trialmri.text_files import write_json
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    z_paths = dict(zip(snakemake.params.rois, snakemake.output.z))
    excluded = json.loads(open(snakemake.input.denoised).read())["Excluded"]
    if excluded:
        write_excluded(list(z_paths), snakemake.input.mask, z_paths, snakemake.output.netcc)
    else:
        convert_netcorr_outputs(snakemake.params.prefix, label_names(snakemake.input.labels), z_paths,
                                snakemake.output.netcc)
    write_json(snakemake.output.sidecar, {
        "Engine": "afni", "Version": read_version(snakemake.input.afni_version),
        "ConvertedBy": f"trialmri {__version__}", "Container": snakemake.params.container,
        "Command": "3dNetCorr -fish_z -ts_wb_Z -nifti", "Sources": [snakemake.input.bold, snakemake.input.labels],
        "Excluded": excluded})
