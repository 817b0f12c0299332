"""`clustsim`'s cluster-size thresholds against a brute-force simulation of the same smooth noise."""

from __future__ import annotations

import math

import numpy as np
from helpers import ellipsoid, smoothed_noise
from scipy import ndimage

from trialmri.clusters.clustsim import SIDES, simulate, threshold_table, z_thresholds

STRUCTURE = {nn: ndimage.generate_binary_structure(3, nn) for nn in (1, 3)}


def brute_force_max_sizes(rng, mask, sigma_vox, pthr, n):
    """Independent reference: scipy.ndimage.gaussian_filter fields, scipy.ndimage.label clusters."""
    z = z_thresholds(pthr)
    out = {(nn, side): np.zeros(n, int) for nn in (1, 3) for side in SIDES}
    for i, field in enumerate(smoothed_noise(rng, mask.shape, sigma_vox, n)):
        cases = {"1-sided": [(field > z["1-sided"]) & mask],
                 "2-sided": [(np.abs(field) > z["2-sided"]) & mask],
                 "bisided": [(field > z["2-sided"]) & mask, (field < -z["2-sided"]) & mask]}
        for side, parts in cases.items():
            for nn in (1, 3):
                best = 0
                for part in parts:
                    lab, k = ndimage.label(part, STRUCTURE[nn])
                    if k:
                        best = max(best, int(np.bincount(lab.ravel())[1:].max()))
                out[(nn, side)][i] = best
    return out


def test_clustsim_agrees_with_brute_force_simulation():
    mask = ellipsoid((26, 28, 24), fill=0.95)
    sigma_vox = 1.5
    b_mm = math.sqrt(2) * sigma_vox * 3.0  # Gaussian kernel sigma s -> ACF exp(-r^2/(4 s^2)), b = sqrt(2) s
    n, pthr = 1500, 0.01
    ours = simulate(mask, (3.0, 3.0, 3.0), (1.0, b_mm, 1.0), [pthr], n, seed=11)
    ref = brute_force_max_sizes(np.random.default_rng(12), mask, sigma_vox, pthr, n)
    table = threshold_table(ours, [0.1, 0.05])
    for (nn, side), brute in ref.items():
        for alpha in (0.1, 0.05):
            need = math.ceil(table[f"NN{nn}"][side]["0.01"][str(alpha)])
            frac_ours = np.mean(ours.sizes[(nn, side, pthr)] >= need)
            frac_brute = np.mean(brute >= need)
            tol = 4 * math.sqrt(2 * alpha * (1 - alpha) / n)
            assert abs(frac_brute - frac_ours) <= tol, (nn, side, alpha, need, frac_ours, frac_brute)
        # whole distributions: medians of the largest cluster within Monte Carlo error
        a, b = np.median(ours.sizes[(nn, side, pthr)]), np.median(brute)
        assert abs(a - b) <= max(2.0, 0.12 * b), (nn, side, a, b)
