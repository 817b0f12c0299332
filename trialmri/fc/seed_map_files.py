"""One session's seed maps from files, native engine (rule seed_maps): a Fisher-z map per ROI,
the ROI-to-ROI table and a JSON sidecar saying how. A session the denoising excluded (too few
volumes; the reason in its sidecar) gets all-NaN maps and the reason in the sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from trialmri import __version__
from trialmri.fc.netcorr_files import seed_maps, write_excluded, write_seed_maps
from trialmri.fc.seeds import check_roi_voxels
from trialmri.text_files import write_json
from trialmri.tables import read_tsv

METHOD = ("Pearson r of each ROI's mean time series (the mean over all in-mask voxels of all its spheres) with "
          "every in-mask voxel; Fisher z = atanh(r), |r| capped at 0.999329 as in 3dNetCorr")


def write_session_seed_maps(bold_path, labels_path, mask_path, denoised_sidecar, rois_table_path, rois,
                            min_voxels: int, z_paths, netcc_path, sidecar_path, name: str) -> str:
    """The z map of each ROI (``rois``, in the order of ``z_paths``), the ROI table and the sidecar
    of one session (``name``: how errors and the returned log line call it). An ROI with fewer than
    ``min_voxels`` in-mask voxels is an error."""
    z_paths = dict(zip(rois, z_paths))
    sidecar = {"Engine": "native", "Software": {"trialmri": __version__}, "Method": METHOD,
               "Sources": [str(bold_path), str(labels_path)]}
    excluded = json.loads(Path(denoised_sidecar).read_text())["Excluded"]
    if excluded:
        write_excluded(list(z_paths), mask_path, z_paths, netcc_path)
        write_json(sidecar_path, {**sidecar, "Excluded": excluded})
        return f"{name}: excluded ({excluded}); maps are NaN"
    maps, mask, img = seed_maps(bold_path, labels_path, mask_path)
    counts = check_roi_voxels(pd.Series(maps.voxels), read_tsv(rois_table_path), min_voxels, where=f"{name}: ")
    write_seed_maps(maps, mask, img, z_paths, netcc_path)
    write_json(sidecar_path, {**sidecar, "VolumesUsed": maps.n_volumes, "VoxelsInMask": maps.n_mask,
                              "ROIVoxelsInMask": counts.to_dict(), "Excluded": None})
    return (f"{name}: {len(z_paths)} z maps from {maps.n_volumes} volumes, {maps.n_mask} voxels; "
            f"ROI voxels {counts.to_dict()}")
