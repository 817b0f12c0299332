"""File-level seed maps: a (denoised) 4-D BOLD and an ROI label map in, Fisher-z maps and the
ROI x ROI table out. Shared by ``trialmri netcorr`` and the workflow.

ROI names come from the label map's sidecar table (``<map>.tsv`` with ``index`` and ``name``
columns, the BIDS ``dseg.tsv`` layout) when there is one, else they are the label numbers.
Without a mask, every voxel whose time series varies is used (3dNetCorr's default). Maps are
float32, 0 outside the mask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from trialmri.fc.denoise import masked_series
from trialmri.fc.netcorr import NetCorr, netcc_table, netcorr
from trialmri.errors import InputError
from trialmri.image_inputs import read_labels, read_mask, read_series
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

MIN_VOLUMES = 3  # a correlation of two points is always +-1


@dataclass
class SeedMaps:
    result: NetCorr
    n_mask: int
    n_volumes: int
    voxels: dict[str, int]


def label_names(rois_path) -> dict[int, str]:
    """``{label: name}`` from the sidecar ``.tsv`` of the label map, if present."""
    path = Path(re.sub(r"\.nii(\.gz)?$", ".tsv", str(rois_path)))
    if not path.exists():
        return {}
    table = read_tsv(path)
    if not {"index", "name"} <= set(table.columns):
        raise ValueError(f"{path}: needs columns index and name (BIDS dseg.tsv layout)")
    return {int(i): str(n) for i, n in zip(table["index"], table["name"])}


def seed_maps(bold_path, rois_path, mask_path=None, mask_threshold=None) -> tuple[SeedMaps, np.ndarray, nib.Nifti1Image]:
    """Correlate every ROI label of ``rois_path`` with every in-mask voxel of ``bold_path``.

    Returns the maps, the boolean mask used and the BOLD image (for its grid).
    """
    img = read_series(bold_path, "--input", min_volumes=MIN_VOLUMES)
    labels, _ = read_labels(rois_path, "--rois", img, "the series", bold_path)
    mask = (read_mask(mask_path, "--mask", img, "the series", bold_path, threshold=mask_threshold)[0]
            if mask_path else np.ones(img.shape[:3], bool))
    series = masked_series(np.asanyarray(img.dataobj), mask).astype(np.float32)
    varies = series.std(axis=0) > 0  # constant voxels (e.g. outside the head) are neither seed nor target
    if not varies.all():
        mask[mask] = varies
        series = series[:, varies]
    indices = [int(i) for i in np.unique(labels) if i > 0]
    if not indices:
        raise InputError(f"--rois {rois_path}: no ROI label (all voxels 0); check the label map")
    names = label_names(rois_path)
    unknown = [i for i in indices if names and i not in names]
    if unknown:
        raise ValueError(f"{rois_path}: label(s) {unknown} are not in its .tsv table")
    voxel_labels = labels[mask]
    voxels = {names.get(i, str(i)): int((voxel_labels == i).sum()) for i in indices}
    empty = [n for n, v in voxels.items() if v == 0]
    if empty:
        raise ValueError(f"ROI(s) {', '.join(empty)} of {rois_path} have no voxel inside the mask")
    result = netcorr(series, voxel_labels, indices, [names.get(i, str(i)) for i in indices])
    return SeedMaps(result, int(mask.sum()), series.shape[0], voxels), mask, img


def write_seed_maps(maps: SeedMaps, mask: np.ndarray, img: nib.Nifti1Image, z_paths: dict[str, str],
                    netcc_path) -> None:
    """One Fisher-z map per ROI name in ``z_paths`` (0 outside the mask) and the ROI x ROI table."""
    for name, path in z_paths.items():
        k = maps.result.names.index(name)
        volume = np.zeros(mask.shape, dtype=np.float32)
        volume[mask] = maps.result.z[k]
        save_nifti(path, volume, img.affine, np.float32, description=f"trialmri netcorr Fisher z, ROI {name}")
    write_tsv(netcc_path, netcc_table(maps.result.names, maps.result.roi_r, maps.result.roi_z))


def write_excluded(names: list[str], mask_path, z_paths: dict[str, str], netcc_path) -> None:
    """All-NaN z maps and ROI table for a session excluded from analysis (reason in its sidecar)."""
    img = nib.load(mask_path)
    for name, path in z_paths.items():
        save_nifti(path, np.full(img.shape[:3], np.nan, np.float32), img.affine, np.float32,
                   description=f"trialmri netcorr ROI {name}: session excluded")
    nan = np.full((len(names), len(names)), np.nan)
    write_tsv(netcc_path, netcc_table(list(names), nan, nan))


def prefix_outputs(prefix: str, names: list[str]) -> tuple[dict[str, str], str]:
    """``trialmri netcorr`` file names: ``P_roi-<label>_z.nii.gz`` per ROI and ``P_netcc.tsv``."""
    return {n: f"{prefix}_roi-{n}_z.nii.gz" for n in names}, f"{prefix}_netcc.tsv"
