"""Snakemake glue (native engine): denoised BOLD + ROI labels -> Fisher-z map per ROI, ROI table.

A session the denoising excluded (too few volumes; reason in its sidecar) gets all-NaN maps."""

import json

import pandas as pd

from trialmri import __version__
from trialmri.fc.netcorr_files import seed_maps, write_excluded, write_seed_maps
from trialmri.fc.seeds import check_roi_voxels
from trialmri.io import write_json
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    name = f"sub-{snakemake.wildcards.subject} ses-{snakemake.wildcards.session}"
    z_paths = dict(zip(snakemake.params.rois, snakemake.output.z))
    sidecar = {"Engine": "native", "Software": {"trialmri": __version__},
               "Method": "Pearson r of each ROI's mean time series (the mean over all in-mask voxels of all "
                         "its spheres) with every in-mask voxel; Fisher z = atanh(r), |r| capped at 0.999329 "
                         "as in 3dNetCorr",
               "Sources": [snakemake.input.bold, snakemake.input.labels]}
    excluded = json.loads(open(snakemake.input.denoised).read())["Excluded"]
    if excluded:
        write_excluded(list(z_paths), snakemake.input.mask, z_paths, snakemake.output.netcc)
        write_json(snakemake.output.sidecar, {**sidecar, "Excluded": excluded})
        print(f"{name}: excluded ({excluded}); maps are NaN")
    else:
        maps, mask, img = seed_maps(snakemake.input.bold, snakemake.input.labels, snakemake.input.mask)
        counts = check_roi_voxels(pd.Series(maps.voxels), read_tsv(snakemake.input.table),
                                  snakemake.params.min_voxels, where=f"{name}: ")
        write_seed_maps(maps, mask, img, z_paths, snakemake.output.netcc)
        write_json(snakemake.output.sidecar, {**sidecar, "VolumesUsed": maps.n_volumes, "VoxelsInMask": maps.n_mask,
                                              "ROIVoxelsInMask": counts.to_dict(), "Excluded": None})
        print(f"{name}: {len(z_paths)} z maps from {maps.n_volumes} volumes, {maps.n_mask} voxels; "
              f"ROI voxels {counts.to_dict()}")
