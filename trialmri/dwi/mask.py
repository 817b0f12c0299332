"""Mean b0 and a brain mask from it (median filter, Otsu threshold, largest component, holes filled).

The recipe is DIPY's ``median_otsu`` with one threshold pass: robust on b0 images because CSF
is bright there, so the ventricles stay inside the mask.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trialmri.dwi.gradients import is_b0


def mean_b0(data: np.ndarray, bvals: np.ndarray) -> np.ndarray:
    """Mean over the b = 0 volumes of ``data`` (X, Y, Z, N); ValueError if there is none."""
    b0 = is_b0(bvals)
    if not b0.any():
        raise ValueError("no b = 0 volume (b <= 50 s/mm²) to build a mean b0 from")
    return np.mean(np.asarray(data, np.float64)[..., b0], axis=-1)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the cut of a 256-bin histogram that maximises between-class variance."""
    counts, edges = np.histogram(values[np.isfinite(values)], bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    with np.errstate(invalid="ignore", divide="ignore"):
        between = w0 * w1 * (m0 / w0 - (m0[-1] - m0) / w1) ** 2
    return float(centres[np.nanargmax(between[:-1])])


def brain_mask(b0: np.ndarray, median_radius: int = 1) -> np.ndarray:
    """Boolean brain mask of a mean b0 (X, Y, Z); ValueError when nothing stands out of the noise."""
    smoothed = ndimage.median_filter(b0, size=2 * median_radius + 1)
    mask = smoothed > otsu_threshold(smoothed)
    labels, n = ndimage.label(mask)
    if n == 0:
        raise ValueError("the mean b0 has no voxel above its Otsu threshold: is the image empty?")
    sizes = np.bincount(labels.ravel())[1:]
    mask = labels == 1 + int(np.argmax(sizes))
    mask = ndimage.binary_closing(mask, iterations=1, border_value=0)
    return ndimage.binary_fill_holes(mask)
