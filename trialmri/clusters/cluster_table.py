"""Clusters of a thresholded statistic map: label map and a table with peaks, centres of mass
and atlas labels (the cluster report of AFNI's 3dClusterize / atlasreader, for one term).

Voxels with p < ``pthr`` inside ``mask`` are clustered under NN1/NN2/NN3 (``neighbours``); with
``bisided`` and a sign map (the sign of the term's coefficient), positive and negative voxels form
separate clusters. Clusters of at least ``min_voxels`` are kept and numbered 1, 2, ... by size
(largest first). Coordinates are world mm of the image (MNI for template-space maps); the centre
of mass is the unweighted mean of the cluster's voxel centres; the peak is its smallest p (largest
statistic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.atlas import point_labels
from trialmri.clusters.neighbours import Neighbours

DEFAULT_ATLASES = ("harvard_oxford", "aal", "talairach_ba")


def find_clusters(p: np.ndarray, mask: np.ndarray, pthr: float, nn: int, min_voxels: int,
                  sign: np.ndarray | None = None) -> np.ndarray:
    """Cluster label map (int32, 0 = none) of p < ``pthr`` in ``mask``; see module doc. With
    ``sign`` (bi-sided clustering), voxels of opposite sign never join."""
    mask = np.asarray(mask, bool)
    supra = (p[mask] < pthr)[None]
    neighbours = Neighbours(mask)
    field, voxel, label, n_labels = neighbours.labels(supra, nn, None if sign is None else (sign[mask] > 0)[None])
    sizes = np.bincount(label, minlength=n_labels)
    keep = np.flatnonzero(sizes >= min_voxels)
    keep = keep[np.argsort(-sizes[keep], kind="stable")]
    number = np.zeros(n_labels, dtype=np.int32)
    number[keep] = np.arange(1, keep.size + 1)
    flat = np.zeros(int(mask.sum()), dtype=np.int32)
    flat[voxel] = number[label]
    out = np.zeros(mask.shape, dtype=np.int32)
    out[mask] = flat
    return out


def _shares(labels: list[tuple[str, float | None]]) -> str:
    names = pd.Series([name for name, _ in labels]).value_counts(normalize=True)
    return "; ".join(f"{100 * share:.1f}% {name}" for name, share in names.items())


def cluster_table(labels: np.ndarray, affine: np.ndarray, stat: np.ndarray, p: np.ndarray,
                  stat_name: str = "F", sign: np.ndarray | None = None, atlases=DEFAULT_ATLASES,
                  prob_threshold: float = 25.0) -> pd.DataFrame:
    """One row per cluster of ``labels``: size (voxels, mm³), peak and centre of mass (mm), peak
    statistic and p (and the sign of the effect at the peak), and per atlas the peak's label and
    each region's share of the cluster's voxels."""
    voxel_mm3 = float(abs(np.linalg.det(affine[:3, :3])))
    rows = []
    for number in range(1, int(labels.max()) + 1):
        ijk = np.argwhere(labels == number)
        if ijk.size == 0:
            continue
        xyz = (affine[:3, :3] @ ijk.T + affine[:3, 3:4]).T
        vals = stat[tuple(ijk.T)]
        pvals = np.where(np.isfinite(p[tuple(ijk.T)]), p[tuple(ijk.T)], np.inf)
        peak = int(np.lexsort((-vals, pvals))[0])  # smallest p, then largest statistic
        centre = xyz.mean(0)
        row = {"cluster": number, "voxels": len(ijk), "volume_mm3": round(len(ijk) * voxel_mm3, 3),
               "peak_x": xyz[peak, 0], "peak_y": xyz[peak, 1], "peak_z": xyz[peak, 2],
               "com_x": round(float(centre[0]), 2), "com_y": round(float(centre[1]), 2),
               "com_z": round(float(centre[2]), 2),
               f"peak_{stat_name}": float(vals[peak]), "peak_p": float(p[tuple(ijk[peak])])}
        if sign is not None:
            row["sign"] = "+" if sign[tuple(ijk[peak])] > 0 else "-"
        for atlas in atlases:
            at_peak = point_labels(atlas, xyz[peak:peak + 1], prob_threshold)[0]
            row[f"{atlas}_peak"] = at_peak[0] + ("" if at_peak[1] is None else f" ({at_peak[1]:.0f}%)")
            row[f"{atlas}_regions"] = _shares(point_labels(atlas, xyz, prob_threshold))
        rows.append(row)
    return pd.DataFrame(rows, columns=table_columns(stat_name, sign is not None, atlases))


def table_columns(stat_name: str = "F", signed: bool = True, atlases=DEFAULT_ATLASES) -> list[str]:
    """The columns of :func:`cluster_table` (``sign`` only for a signed statistic)."""
    return ["cluster", "voxels", "volume_mm3", "peak_x", "peak_y", "peak_z", "com_x", "com_y", "com_z",
            f"peak_{stat_name}", "peak_p"] + (["sign"] if signed else []) + \
        [f"{a}_{kind}" for a in atlases for kind in ("peak", "regions")]
