"""Snakemake glue (AFNI engine): 3dNetCorr's outputs -> our z map names and ROI table.

A session the denoising excluded (3dNetCorr was not run; reason in its sidecar) gets NaN maps."""

from trialmri.afni_version import read_version
from trialmri.fc.afni_outputs import convert_netcorr_session
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    convert_netcorr_session(p.prefix, i.labels, p.rois, o.z, i.denoised, i.mask, i.bold, read_version(i.afni_version),
                            p.container, o.netcc, o.sidecar)
