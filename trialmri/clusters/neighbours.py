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
    """Neighbour table of the voxels of ``mask`` (3-D bool).

    Keeps a node map (one int64 per voxel of each field of the largest batch labelled, all -1
    between calls) so that a call touches only its supra-threshold voxels: not safe to share
    between threads.
    """

    def __init__(self, mask: np.ndarray):
        mask = np.asarray(mask, bool)
        padded = np.pad(mask, 1)
        index = np.full(padded.shape, -1, dtype=np.int64)
        coords = np.nonzero(padded)
        index[coords] = np.arange(coords[0].size)
        offsets, self.level = _forward_offsets()
        self.table = np.stack([index[tuple(c + o for c, o in zip(coords, off))] for off in offsets], 1)
        self.n_voxels = coords[0].size
        self._node = np.empty(0, dtype=np.int64)

    def labels(self, supra: np.ndarray, nn: int, sign: np.ndarray | None = None):
        """Connected components of ``supra`` (fields, voxels) bool.

        Returns (field, voxel, label) of each supra-threshold voxel and the number of labels;
        with ``sign`` (same shape), only voxels of the same sign join (AFNI's bi-sided).
        """
        return self.labels_all(supra, sign, levels=(nn,))[nn]

    def labels_all(self, supra: np.ndarray, sign: np.ndarray | None = None, levels=NN_LEVELS) -> dict:
        """``labels`` for each NN level in ``levels`` at once (one neighbour search)."""
        flat = np.flatnonzero(supra)
        return self.labels_flat(flat, supra.shape[0], None if sign is None else sign.reshape(-1)[flat], levels)

    def labels_flat(self, flat: np.ndarray, n_fields: int, sign: np.ndarray | None = None,
                    levels=NN_LEVELS, partners: np.ndarray | None = None) -> dict:
        """``labels_all`` from the supra-threshold voxels alone: their indices, ascending, into
        the (``n_fields``, voxels) array flattened, with ``sign`` their signs (bool), and
        ``partners`` their ``self.partners`` if already known (``subset_partners``)."""
        if partners is None:
            partners = self.partners(flat, n_fields)
        field, voxel = np.divmod(flat, self.n_voxels)
        joined = self.joined(partners, sign)
        out = {}
        for nn in levels:
            n_labels, label = components(partners, self.edges(joined, nn))
            out[nn] = (field, voxel, label, n_labels)
        return out

    @staticmethod
    def joined(partners: np.ndarray, sign: np.ndarray | None = None) -> np.ndarray:
        """(nodes, 13) bool: which ``partners`` exist and, with ``sign`` (bool per node), have
        the node's sign."""
        valid = partners >= 0
        if sign is not None:
            valid &= sign[:, None] == sign[np.where(valid, partners, 0)]
        return valid

    def edges(self, joined: np.ndarray, nn: int) -> np.ndarray:
        """The ``joined`` partners that are neighbours under NN level ``nn``."""
        return joined & (self.level[None, :] <= nn)

    def partners(self, flat: np.ndarray, n_fields: int) -> np.ndarray:
        """(nodes, 13) int64: the node number (position in ``flat``, ascending indices into the
        (``n_fields``, voxels) array flattened) of each forward neighbour of each node; -1 where
        the neighbour is outside the mask or not in ``flat``. Through the node map, which is -1
        again on return."""
        size = n_fields * self.n_voxels
        if self._node.size < size:
            self._node = np.full(size, -1, dtype=np.int64)
        node = self._node
        node[flat] = np.arange(flat.size)
        try:
            field, voxel = np.divmod(flat, self.n_voxels)
            partner = self.table[voxel]  # (nodes, 13) voxel numbers
            inside = partner >= 0
            target = np.where(inside, field[:, None] * self.n_voxels + np.where(inside, partner, 0), 0)
            return np.where(inside, node[target], -1)
        finally:
            node[flat] = -1


def subset_partners(partners: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``Neighbours.partners`` of the nodes where ``keep`` (bool per node), numbered among them
    (in order), from the partners of all: a neighbour not kept is -1."""
    number = np.where(keep, np.cumsum(keep) - 1, -1)
    sub = partners[keep]
    return np.where(sub >= 0, number[sub], -1)


def components(partners: np.ndarray, use: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components (count, label per node) of the undirected graph joining each node
    i to ``partners[i, j]`` where ``use[i, j]``; built as the CSR matrix (rows in node order)
    that ``coo_matrix(...).tocsr()`` of those edges would give, so the labels are the same."""
    n = partners.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(use.sum(1), out=indptr[1:])
    graph = sparse.csr_matrix((np.ones(int(indptr[-1]), dtype=np.int8), partners[use], indptr), shape=(n, n))
    return csgraph.connected_components(graph, directed=False)


def largest_per_field(field: np.ndarray, label: np.ndarray, n_labels: int, n_fields: int) -> np.ndarray:
    """Size (voxels) of the largest cluster in each field; 0 for a field without any."""
    sizes = np.bincount(label, minlength=n_labels)
    owner = np.zeros(n_labels, dtype=np.int64)
    owner[label] = field
    best = np.zeros(n_fields, dtype=np.int64)
    np.maximum.at(best, owner, sizes)
    return best
