"""Labelling from the supra-threshold voxels alone (trialmri.clusters.neighbours.labels_flat,
partners, subset_partners) and clustsim's candidates: the same voxels, neighbours and labels as
thresholding and labelling the whole batch, so the simulated tables do not change."""

from __future__ import annotations

import numpy as np
from helpers import smoothed_noise

from trialmri.clusters.clustsim import SIDES, candidates, largest_clusters, z_thresholds
from trialmri.clusters.neighbours import NN_LEVELS, Neighbours, largest_per_field, subset_partners

PTHR = (0.05, 0.01)


def batch(seed: int = 3, n: int = 5):
    rng = np.random.default_rng(seed)
    shape = (18, 21, 17)
    mask = rng.random(shape) > 0.1
    return Neighbours(mask), smoothed_noise(rng, shape, 1.2, n)[:, mask].astype(np.float32)


def dense_largest(neighbours: Neighbours, z: np.ndarray) -> dict:
    """``largest_clusters`` the direct way: each threshold set over the whole batch."""
    out = {}
    for p in PTHR:
        zt = z_thresholds(p)
        sets = {"1-sided": (z > zt["1-sided"], None), "2-sided": (np.abs(z) > zt["2-sided"], None),
                "bisided": (np.abs(z) > zt["2-sided"], z > 0)}
        for side, (supra, sign) in sets.items():
            for nn, (field, _, label, n_labels) in neighbours.labels_all(supra, sign).items():
                out[(nn, side, p)] = largest_per_field(field, label, n_labels, z.shape[0])
    return out


def test_candidates_hold_every_threshold_set_in_order():
    _, z = batch()
    flat, values = candidates(z, PTHR)
    assert np.array_equal(values, z.reshape(-1)[flat])
    for p in PTHR:
        zt = z_thresholds(p)
        assert np.array_equal(flat[values > zt["1-sided"]], np.flatnonzero(z > zt["1-sided"]))
        assert np.array_equal(flat[np.abs(values) > zt["2-sided"]], np.flatnonzero(np.abs(z) > zt["2-sided"]))


def test_subset_partners_equal_a_neighbour_search_on_the_subset():
    neighbours, z = batch()
    flat, values = candidates(z, PTHR)
    partners = neighbours.partners(flat, z.shape[0])
    for keep in (values > 2.0, np.abs(values) > 2.5, np.zeros(flat.size, bool)):
        assert np.array_equal(subset_partners(partners, keep), neighbours.partners(flat[keep], z.shape[0]))


def test_labels_flat_equals_labels_all_label_for_label():
    neighbours, z = batch()
    supra = np.abs(z) > 1.5
    flat = np.flatnonzero(supra)
    for sign in (None, z > 0):
        whole = neighbours.labels_all(supra, sign)
        alone = neighbours.labels_flat(flat, z.shape[0], None if sign is None else sign.reshape(-1)[flat])
        for nn in NN_LEVELS:
            for a, b in zip(whole[nn], alone[nn]):
                assert np.array_equal(a, b)


def test_the_node_map_is_clear_after_each_search():
    neighbours, z = batch()
    neighbours.labels_all(np.abs(z) > 1.0)
    assert neighbours._node.size >= z.size and (neighbours._node == -1).all()
    neighbours.labels_all(np.abs(z[:2]) > 0.5)  # a smaller batch after a larger one
    assert (neighbours._node == -1).all()


def test_largest_clusters_equal_thresholding_the_whole_batch():
    neighbours, z = batch(seed=8, n=6)
    ours, direct = largest_clusters(neighbours, z, PTHR), dense_largest(neighbours, z)
    assert set(ours) == set(direct) == {(nn, side, p) for nn in NN_LEVELS for side in SIDES for p in PTHR}
    assert all(np.array_equal(ours[k], direct[k]) for k in ours)
    assert max(int(v.max()) for v in ours.values()) > 1  # real clusters, not single voxels only
