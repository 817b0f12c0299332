"""Clusters of supra-threshold voxels under AFNI's neighbourhoods, for many fields at once.

NN1 joins voxels whose faces touch, NN2 also edges, NN3 also corners (6, 18 and 26 neighbours).
Voxels are the ``mask`` voxels in ``np.flatnonzero`` order; a field is a row of values over them.
Clusters are the connected components (``scipy.sparse.csgraph``) of the graph whose nodes are
the supra-threshold voxels of every field in a batch and whose edges join neighbours of the same
field: only the few supra-threshold voxels are touched, never the whole volume.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

NN_LEVELS = (1, 2, 3)


def _forward_offsets() -> tuple[np.ndarray, np.ndarray]:
    """The 13 offsets of a 26-neighbourhood that come first in raster order, and the NN level
    each needs (1 face, 2 edge, 3 corner)."""
    grid = np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).reshape(-1, 3)
    forward = [o for o in grid if tuple(o) > (0, 0, 0)]
    forward = np.array(forward)
    return forward, np.abs(forward).sum(1)


class Neighbours:
    """Neighbour table of the voxels of ``mask`` (3-D bool)."""

    def __init__(self, mask: np.ndarray):
        mask = np.asarray(mask, bool)
        padded = np.pad(mask, 1)
        index = np.full(padded.shape, -1, dtype=np.int64)
        coords = np.nonzero(padded)
        index[coords] = np.arange(coords[0].size)
        offsets, self.level = _forward_offsets()
        self.table = np.stack([index[tuple(c + o for c, o in zip(coords, off))] for off in offsets], 1)
        self.n_voxels = coords[0].size

    def labels(self, supra: np.ndarray, nn: int, sign: np.ndarray | None = None):
        """Connected components of ``supra`` (fields, voxels) bool.

        Returns (field, voxel, label) of each supra-threshold voxel and the number of labels;
        with ``sign`` (same shape), only voxels of the same sign join (AFNI's bi-sided).
        """
        return self.labels_all(supra, sign, levels=(nn,))[nn]

    def labels_all(self, supra: np.ndarray, sign: np.ndarray | None = None, levels=NN_LEVELS) -> dict:
        """``labels`` for each NN level in ``levels`` at once (one neighbour search)."""
        n_fields, n_vox = supra.shape
        flat = np.flatnonzero(supra)
        field, voxel = np.divmod(flat, n_vox)
        node = np.full(supra.size, -1, dtype=np.int64)
        node[flat] = np.arange(flat.size)
        partner = self.table[voxel]  # (nodes, 13)
        valid = partner >= 0
        target = np.where(valid, field[:, None] * n_vox + np.where(valid, partner, 0), 0)
        other = np.where(valid, node[target], -1)
        valid &= other >= 0
        if sign is not None:
            same = sign.reshape(-1)[flat][:, None] == sign.reshape(-1)[np.where(valid, target, 0)]
            valid &= same
        out = {}
        src_all = np.broadcast_to(np.arange(flat.size)[:, None], valid.shape)
        for nn in levels:
            use = valid & (self.level[None, :] <= nn)
            src, dst = src_all[use], other[use]
            graph = sparse.coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)),
                                      shape=(flat.size, flat.size)).tocsr()
            n_labels, label = csgraph.connected_components(graph, directed=False)
            out[nn] = (field, voxel, label, n_labels)
        return out


def largest_per_field(field: np.ndarray, label: np.ndarray, n_labels: int, n_fields: int) -> np.ndarray:
    """Size (voxels) of the largest cluster in each field; 0 for a field without any."""
    sizes = np.bincount(label, minlength=n_labels)
    owner = np.zeros(n_labels, dtype=np.int64)
    owner[label] = field
    best = np.zeros(n_fields, dtype=np.int64)
    np.maximum.at(best, owner, sizes)
    return best
