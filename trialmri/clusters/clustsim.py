"""Monte Carlo cluster-size thresholds, as AFNI's 3dClustSim -acf computes them.

Each iteration is a unit-variance Gaussian noise field with the given ACF inside the mask
(``noise.FieldGenerator``), thresholded at each voxelwise p three ways, as 3dClustSim reports:

- ``1-sided``: z > z(p), one tail;
- ``2-sided``: |z| > z(p/2), positive and negative voxels clustered together;
- ``bisided``: |z| > z(p/2), positive and negative voxels clustered separately;

and clustered under NN1, NN2 and NN3. The largest cluster of each field is recorded. For a
family-wise alpha the threshold is the smallest size C such that at most a fraction alpha of the
fields have a cluster of C voxels or more; the table reports it interpolated between C − 1 and C
(linear in log alpha; 3dClustSim interpolates in log(−log(1 − alpha)), ``get_one_clust_thresh``,
which differs by at most 0.01 voxel on the same maxima), so a value of 45.3 means a cluster needs
46 voxels.

Deterministic for a given seed, batch size and iteration count: fields are drawn batch by batch
from one ``numpy.random.Generator(PCG64(seed))``; FFT threads do not change the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialmri.clusters.keys import SIDES, prob_key  # noqa: F401 (re-exported)
from trialmri.clusters.neighbours import NN_LEVELS, Neighbours, largest_per_field, subset_partners
from trialmri.clusters.noise import FieldGenerator

BATCH = 16


def z_thresholds(pthr: float) -> dict[str, float]:
    """z above which a voxel is supra-threshold, per sidedness."""
    one = float(stats.norm.isf(pthr))
    two = float(stats.norm.isf(pthr / 2.0))
    return {"1-sided": one, "2-sided": two, "bisided": two}


@dataclass
class MaxClusters:
    """Largest cluster size per iteration: ``sizes[(nn, side, pthr)]`` int array (iterations)."""

    sizes: dict
    pthr: tuple
    iterations: int
    n_voxels: int


def candidates(z: np.ndarray, pthr) -> tuple[np.ndarray, np.ndarray]:
    """Indices (ascending, into ``z`` flattened) and values of the voxels supra-threshold under
    some p of ``pthr`` and some sidedness: ``z > z1`` or ``z < −z2`` at the largest p, the
    lowest thresholds (z1 < z2), so every threshold set of ``largest_clusters`` is a subset."""
    zt = z_thresholds(max(pthr))
    flat = np.flatnonzero((z > zt["1-sided"]) | (z < -zt["2-sided"]))
    return flat, z.reshape(-1)[flat]


def largest_clusters(neighbours: Neighbours, z: np.ndarray, pthr) -> dict:
    """Largest cluster of each field of ``z`` (fields, voxels) per (nn, side, p): the
    thresholds and clusterings of the module doc. One neighbour search, on the ``candidates``,
    serves every threshold set (the same voxels in the same order as thresholding ``z``)."""
    n = z.shape[0]
    flat, values = candidates(z, pthr)
    partners = neighbours.partners(flat, n)
    out = {}
    for p in pthr:
        zt = z_thresholds(p)
        one = values > zt["1-sided"]
        two = np.abs(values) > zt["2-sided"]
        two_partners = subset_partners(partners, two)
        found = {"1-sided": neighbours.labels_flat(flat[one], n, partners=subset_partners(partners, one)),
                 "2-sided": neighbours.labels_flat(flat[two], n, partners=two_partners),
                 "bisided": neighbours.labels_flat(flat[two], n, sign=values[two] > 0, partners=two_partners)}
        for side, by_nn in found.items():
            for nn, (field, _, label, n_labels) in by_nn.items():
                out[(nn, side, p)] = largest_per_field(field, label, n_labels, n)
    return out


def simulate(mask: np.ndarray, voxel_mm, acf, pthr, iterations: int, seed: int, workers: int = 1,
             batch: int = BATCH, progress: bool = False, spectrum: str = "exact") -> MaxClusters:
    """Largest noise cluster of each of ``iterations`` fields (see module doc); ``spectrum``: the
    noise's, ``exact`` ACF or ``afni`` (3dClustSim's band-limited one, ``noise.FieldGenerator``)."""
    pthr = tuple(sorted({float(p) for p in pthr}, reverse=True))
    if any(not 0.0 < p < 1.0 for p in pthr):
        raise ValueError(f"voxelwise p thresholds must lie in (0, 1): {pthr}")
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    gen = FieldGenerator(mask, voxel_mm, acf, workers=workers, spectrum=spectrum)
    neighbours = Neighbours(gen.mask)
    rng = np.random.Generator(np.random.PCG64(seed))
    sizes = {(nn, side, p): np.zeros(iterations, dtype=np.int64)
             for nn in NN_LEVELS for side in SIDES for p in pthr}
    starts = range(0, iterations, batch)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="clustsim", unit="batch")
    for start in starts:
        n = min(batch, iterations - start)
        for key, largest in largest_clusters(neighbours, gen.values(rng, n), pthr).items():
            sizes[key][start:start + n] = largest
    return MaxClusters(sizes=sizes, pthr=pthr, iterations=iterations, n_voxels=gen.n_voxels)


def size_threshold(max_sizes: np.ndarray, alpha: float) -> float:
    """3dClustSim's C(p, alpha) from the largest cluster of each field (see module doc).

    ``a(s)`` = fraction of fields whose largest cluster has ≥ s voxels. C* is the smallest
    integer with ``a(C*) ≤ alpha``; the value returned is C* − 1 + the fraction of the way from
    log a(C* − 1) down to log alpha over log a(C* − 1) − log a(C*) (linear in a instead of
    log a when a(C*) is 0).
    """
    n = max_sizes.size
    counts = np.bincount(max_sizes)
    survive = n - np.concatenate([[0], np.cumsum(counts)])[:-1]  # fields with largest >= s, s = 0..max
    frac = np.append(survive / n, 0.0)  # a(s) for s = 0..max+1
    c_star = int(np.argmax(frac <= alpha))
    if c_star == 0:
        return 0.0
    hi, lo = frac[c_star - 1], frac[c_star]
    if lo > 0:
        step = (math.log(hi) - math.log(alpha)) / (math.log(hi) - math.log(lo))
    else:
        step = (hi - alpha) / (hi - lo)
    return float(c_star - 1 + min(max(step, 0.0), 1.0))


def threshold_table(result: MaxClusters, athr) -> dict:
    """``{"NN1": {"bisided": {"0.005": {"0.05": C, ...}, ...}, ...}, ...}`` (sizes in voxels,
    interpolated; a cluster needs ceil(C) voxels)."""
    athr = sorted({float(a) for a in athr}, reverse=True)
    if any(not 0.0 < a < 1.0 for a in athr):
        raise ValueError(f"alpha levels must lie in (0, 1): {athr}")
    return {f"NN{nn}": {side: {prob_key(p): {prob_key(a): round(size_threshold(result.sizes[(nn, side, p)], a), 2)
                                         for a in athr}
                               for p in result.pthr}
                        for side in SIDES}
            for nn in NN_LEVELS}


def min_cluster_voxels(table: dict, nn: int, side: str, pthr: float, alpha: float) -> int:
    """Smallest cluster (voxels) that survives: ceil of the table's C(p, alpha)."""
    try:
        value = table[f"NN{nn}"][side][prob_key(pthr)][prob_key(alpha)]
    except KeyError as err:
        raise ValueError(f"the cluster-size table has no entry for NN{nn} {side} p={pthr} alpha={alpha} "
                         f"(missing {err}); rerun clustsim with that p and alpha") from None
    return max(1, math.ceil(value - 1e-9))


def text_tables(table: dict, header: dict) -> dict[str, str]:
    """Text tables in 3dClustSim's .1D layout, one per NN and sidedness: ``{"NN1_1sided": text}``.

    Comment lines (``#``), the alphas as ``#  pthr  | .05000 .01000``, then one row per p: the p
    and one cluster size (voxels) per alpha."""
    out = {}
    for nn_key, by_side in table.items():
        for side, by_p in by_side.items():
            alphas = list(next(iter(by_p.values())).keys())
            lines = ["# trialmri clustsim (3dClustSim -acf table layout)"]
            lines += [f"# {k}: {v}" for k, v in header.items()]
            lines.append(f"# {side} thresholding")
            lines.append("# CLUSTER SIZE THRESHOLD(pthr,alpha) in Voxels")
            lines.append(f"# -NN {nn_key[2:]}  | alpha = Prob(Cluster >= given size)")
            lines.append("#  pthr  | " + " ".join(f"{float(a):.5f}".lstrip("0") for a in alphas))
            lines.append("# ------ | " + " ".join(["------"] * len(alphas)))
            for p, by_a in by_p.items():
                lines.append(f" {float(p):.6f} " + " ".join(f"{by_a[a]:7.1f}" for a in alphas))
            out[f"{nn_key}_{side.replace('-', '')}"] = "\n".join(lines) + "\n"
    return out
