"""The MNI152 template and tissue probability maps that nilearn ships, on any grid.

nilearn ships the ICBM 2009a symmetric template (1 mm): T1, grey matter, white matter and a brain
mask. CSF is taken as the brain mask minus grey and white matter. fMRIPrep's usual output space,
MNI152NLin2009cAsym, differs from it by well under a voxel at the resolutions used here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # grids imports scipy: imported where used, so the workflow parses without it
    from trialmri.grids import Grid

TEMPLATE_NAME = "MNI152 ICBM 2009a symmetric (nilearn)"
SPACE = "MNI152NLin2009aSym"  # its BIDS template identifier


@lru_cache(maxsize=1)
def mni_1mm() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The 1 mm template as float32 arrays ``t1, gm, wm, csf, brain`` (0..1) and their affine."""
    from nilearn import datasets

    t1 = datasets.load_mni152_template(resolution=1)
    gm = datasets.load_mni152_gm_template(resolution=1).get_fdata(dtype=np.float32)
    wm = datasets.load_mni152_wm_template(resolution=1).get_fdata(dtype=np.float32)
    brain = datasets.load_mni152_brain_mask(resolution=1).get_fdata(dtype=np.float32)
    csf = np.clip(brain - gm - wm, 0.0, 1.0) * brain
    maps = {"t1": t1.get_fdata(dtype=np.float32), "gm": gm * brain, "wm": wm * brain,
            "csf": csf, "brain": brain}
    return maps, t1.affine.copy()


def brain_box_mm(margin_mm: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """World bounding box (lo, hi) in MNI mm of the template brain mask, widened by a margin."""
    maps, affine = mni_1mm()
    ijk = np.argwhere(maps["brain"] > 0.5)
    corners = np.stack([ijk.min(0), ijk.max(0)]).T.astype(float)
    lo = affine[:3, :3] @ corners[:, 0] + affine[:3, 3]
    hi = affine[:3, :3] @ corners[:, 1] + affine[:3, 3]
    return np.minimum(lo, hi) - margin_mm, np.maximum(lo, hi) + margin_mm


def mni_grid(voxel_mm: float) -> Grid:
    """The RAS+ grid of ``voxel_mm`` voxels over the template's field of view (2 mm: 99 x 117 x 95)."""
    from trialmri.grids import Grid

    maps, affine = mni_1mm()
    lo = affine[:3, 3]
    hi = affine[:3, :3] @ (np.asarray(maps["t1"].shape) - 1) + lo
    return Grid.covering(lo, hi, voxel_mm)


def mni_on_grid(grid: Grid) -> dict[str, np.ndarray]:
    """Template T1 and tissue fractions resampled (anti-aliased, trilinear) onto ``grid``."""
    from trialmri.grids import resample

    maps, affine = mni_1mm()
    return {name: resample(arr, affine, grid) for name, arr in maps.items()}


def write_template(resolution_mm: float, t1w_out, mask_out) -> str:
    """The MNI152 template's T1w (float32) and brain mask (uint8, its brain probability > 0.5) on
    the grid of ``resolution_mm`` -> NIfTI files; returns the line to log."""
    from trialmri.io import save_nifti  # here: the workflow imports this module at parse time

    grid = mni_grid(float(resolution_mm))
    maps = mni_on_grid(grid)
    save_nifti(t1w_out, maps["t1"], grid.affine)
    save_nifti(mask_out, maps["brain"] > 0.5, grid.affine, dtype=np.uint8)
    return f"template grid {grid.shape} at {resolution_mm} mm"
