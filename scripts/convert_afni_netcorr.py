"""Snakemake glue (AFNI engine): 3dNetCorr's outputs -> our z map names and ROI table."""

from trialmri.fc.afni_commands import convert_netcorr_outputs
from trialmri.fc.netcorr_files import label_names
from trialmri.io import write_json
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    names = label_names(snakemake.input.labels)
    z_paths = dict(zip(snakemake.params.rois, snakemake.output.z))
    convert_netcorr_outputs(snakemake.params.prefix, names, z_paths, snakemake.output.netcc)
    write_json(snakemake.output.sidecar, {
        "Engine": "afni", "Container": snakemake.params.container,
        "Command": "3dNetCorr -fish_z -ts_wb_Z -nifti", "Sources": [snakemake.input.bold, snakemake.input.labels]})
