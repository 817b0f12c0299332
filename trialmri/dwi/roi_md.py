"""ROI masks on the MD maps' grid and mean MD per ROI (DTI group level, step 1).

Units: MD maps are in mm²/s; ROI tables give MD in 10⁻³ mm²/s (µm²/ms), where grey matter reads
about 0.8. ΔMD = MD(pre) − MD(post): positive means lower MD after the infusion.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.atlas import roi_mask
from trialmri.grids import Grid, same_grid

MD_TABLE_SCALE = 1e3  # mm²/s -> 10⁻³ mm²/s
MD_TABLE_UNITS = "10⁻³ mm²/s"
ROI_MD_COLUMNS = ["subject", "session", "roi", "md", "n_voxels", "coverage"]


def roi_masks(specs: dict[str, dict], grid: Grid) -> dict[str, np.ndarray]:
    """Each ROI of ``specs`` (name -> atlas spec, see :mod:`trialmri.atlas`) as a boolean mask on
    ``grid``, by nearest neighbour. An ROI with no voxel on the grid is an error naming it."""
    masks = {}
    for name, spec in specs.items():
        mask = roi_mask(spec, grid)
        if not mask.any():
            raise ValueError(f"ROI {name!r} ({spec['atlas']}: {', '.join(spec['labels'])}) has no "
                             f"voxel on the {'x'.join(map(str, grid.shape))} grid at "
                             f"{grid.voxel_mm[0]:g} mm; lower its threshold or widen its limits_mm "
                             "in config dti.rois")
        masks[name] = mask
    return masks


def roi_voxel_table(masks: dict[str, np.ndarray], grid: Grid, specs: dict[str, dict]) -> pd.DataFrame:
    """One row per ROI: voxel count, volume (mm³), centre of mass (world mm) and its definition."""
    rows = []
    xyz = grid.world()
    voxel_mm3 = float(np.prod(grid.voxel_mm))
    for name, mask in masks.items():
        spec = specs[name]
        centre = xyz[:, mask].mean(axis=1)
        rows.append({"roi": name, "label": spec.get("label", name), "n_voxels": int(mask.sum()),
                     "volume_mm3": mask.sum() * voxel_mm3, "x_mm": centre[0], "y_mm": centre[1],
                     "z_mm": centre[2], "atlas": spec["atlas"], "labels": "+".join(spec["labels"]),
                     "threshold": spec.get("threshold", "n/a"),
                     "hemisphere": spec.get("hemisphere", "both"),
                     "limits_mm": str(spec.get("limits_mm") or "n/a")})
    return pd.DataFrame(rows)


def roi_mean_md(md_path, masks: dict[str, np.ndarray], grid: Grid) -> pd.DataFrame:
    """Mean MD (10⁻³ mm²/s) over each ROI's voxels with a valid MD (finite, > 0).

    ``coverage`` is the fraction of the ROI's voxels that had a valid MD (voxels at the edge of a
    subject's brain can be NaN in template space). Columns ``roi, md, n_voxels, coverage``.
    """
    image = nib.load(md_path)
    if not same_grid(image, grid):
        raise ValueError(f"{md_path} is not on the ROI masks' grid ({'x'.join(map(str, grid.shape))}"
                         f" voxels); all MD maps must be in one template space and resolution "
                         "(config dti.template_resolution_mm)")
    md = np.asarray(image.dataobj, dtype=np.float64)
    valid = np.isfinite(md) & (md > 0)
    rows = []
    for name, mask in masks.items():
        use = mask & valid
        n = int(use.sum())
        rows.append({"roi": name, "md": md[use].mean() * MD_TABLE_SCALE if n else np.nan,
                     "n_voxels": n, "coverage": n / mask.sum()})
    return pd.DataFrame(rows)
