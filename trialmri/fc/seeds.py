"""Seed and control ROIs as spheres around MNI mm coordinates, written as one label map.

A named ROI is the union of its spheres (the study's left and right spheres): label ``k`` marks
every voxel whose centre lies within ``radius_mm`` of any of the ROI's centres (distance <=
radius, world mm of the data's grid). Its time series is the mean over all of those voxels that
are in the brain mask, as 3dNetCorr averages the voxels of an ROI label. Labels are numbered
1..N in config order (seeds, then control ROIs); 0 is background.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from trialmri.atlas import sphere_mask
from trialmri.grids import Grid

NEIGHBOURHOOD = 7  # centre voxel + 6 face neighbours: fewer voxels than this is a "tiny" sphere


def roi_label_map(rois: dict[str, list], radius_mm: float, grid: Grid) -> tuple[np.ndarray, pd.DataFrame]:
    """Label map (int16, ``grid.shape``) and table ``index, name, centres_mm, voxels, voxels_<i>``.

    ``rois`` maps a name to its sphere centres (MNI mm). Raises ValueError when two ROIs share a
    voxel or a sphere has no voxel on the grid.
    """
    labels = np.zeros(grid.shape, dtype=np.int16)
    rows = []
    for index, (name, centres) in enumerate(rois.items(), start=1):
        row = {"index": index, "name": name,
               "centres_mm": "; ".join(",".join(f"{c:g}" for c in centre) for centre in centres)}
        union = np.zeros(grid.shape, dtype=bool)
        for k, centre in enumerate(centres, start=1):
            sphere = sphere_mask(centre, radius_mm, grid)
            if not sphere.any():
                raise ValueError(f"ROI {name}: the {radius_mm} mm sphere at {list(centre)} mm holds no voxel "
                                 f"of the {tuple(grid.shape)} grid; is the centre inside the field of view?")
            row[f"voxels_sphere{k}"] = int(sphere.sum())
            union |= sphere
        clash = np.unique(labels[union & (labels > 0)])
        if clash.size:
            raise ValueError(f"ROI {name} overlaps ROI {list(rois)[clash[0] - 1]}; move a centre or use a "
                             "smaller radius (config rsfmri.seeds.radius_mm)")
        labels[union] = index
        row["voxels"] = int(union.sum())
        rows.append(row)
    return labels, pd.DataFrame(rows)


def count_in_mask(labels: np.ndarray, table: pd.DataFrame, mask: np.ndarray, min_voxels: int,
                  where: str = "") -> pd.Series:
    """In-mask voxels per ROI (indexed by name). Raises ValueError naming the ROI when fewer than
    ``min_voxels``; warns (UserWarning) when an ROI has fewer than 7 voxels (coarse data)."""
    counts = np.bincount(labels[mask].ravel(), minlength=int(table["index"].max()) + 1)
    result = pd.Series({name: int(counts[i]) for i, name in zip(table["index"], table["name"])},
                       name="voxels_in_mask")
    return check_roi_voxels(result, table, min_voxels, where)


def check_roi_voxels(result: pd.Series, table: pd.DataFrame, min_voxels: int, where: str = "") -> pd.Series:
    """``result`` (in-mask voxels per ROI name) checked: ValueError naming the ROI below
    ``min_voxels``, UserWarning for ROIs under 7 voxels. Returns ``result``."""
    short = result[result < min_voxels]
    if not short.empty:
        name = short.index[0]
        raise ValueError(f"{where}ROI {name} has {short.iloc[0]} voxel(s) inside the brain mask, fewer than "
                         f"{min_voxels} (config rsfmri.seeds.min_voxels); check its centres "
                         f"({table.set_index('name').loc[name, 'centres_mm']} mm) lie in the brain")
    tiny = result[result < NEIGHBOURHOOD]
    if not tiny.empty:
        warnings.warn(f"{where}ROI(s) {', '.join(f'{n} ({v} voxels)' for n, v in tiny.items())}: the "
                      "spheres are not much larger than a voxel at this resolution, so each seed's time "
                      "series averages very few voxels; a larger radius or finer data gives steadier seeds",
                      UserWarning, stacklevel=3)
    return result
