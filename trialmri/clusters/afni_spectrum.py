"""The noise spectrum AFNI's 3dClustSim -acf actually draws from (``--noise afni``).

AFNI's help defines the noise as fields whose ACF is ``a·exp(−r²/2b²) + (1−a)·exp(−r/c)``, which is
what ``noise.FieldGenerator`` makes by default (``exact``). AFNI's generator
(``src/mri_radial_random_field.c``, commit 90ce18f, AFNI_26.2.03) drops the highest frequencies:
it zeroes the ACF on the Nyquist planes (line 220) and never fills them; after clipping power below
1e-5 of the DC term (line 251) its band limit ``itop`` is the last non-zero frequency of the half
box plus one, except when that is already the last below Nyquist (line 261, ``if (itop < nxh-1)
itop++``), so the fill loops (``ii < itop``, line 330 on) skip that frequency too; the DC term is
zeroed (line 388). Its FFT grid is each axis' size plus twice the radius where the ACF falls to
0.02, at least 16, rounded up to an even 2^a·3^b·5^c with b, c ≤ 1 (``csfft_nextup_one35``). The
fields are therefore smoother than the stated ACF: at 4 mm with ACF (0.67, 3.56, 2.79) they lose
4.1 % of their variance, lag-1 correlation 0.466 instead of 0.437, and 3dClustSim's cluster sizes
come out 4–7 % larger than the exact ACF gives (less on finer grids: 1.9 % of the variance at 3 mm,
0.9 % at 2 mm for that ACF).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sfft
from scipy import optimize

from trialmri.clusters.acf import acf_model

CLIP = 1e-5  # power below this fraction of the DC term is zeroed (AFNI's clip)
GRID_ACF = 0.02  # the FFT grid pads each side by the radius where the ACF falls to this


def afni_fft_len(n: int) -> int:
    """AFNI's ``csfft_nextup_one35``: the smallest even m >= n of the form 2^a·3^b·5^c, b, c <= 1."""
    m = n
    while True:
        k = m
        for f in (2, 3, 5):
            while k % f == 0:
                k //= f
        if k == 1 and m % 2 == 0 and m % 9 and m % 25:
            return m
        m += 1


def afni_grid(shape, voxel_mm, acf) -> tuple[int, ...]:
    """3dClustSim's FFT grid for a dataset of ``shape`` voxels (the whole grid, not the mask's box)."""
    radius = optimize.brentq(lambda r: acf_model(r, *acf) - GRID_ACF, 0.0, 1000.0)
    return tuple(afni_fft_len(max(16, int(n) + 2 * math.ceil(radius / d))) for n, d in zip(shape, voxel_mm))


def afni_power(grid, voxel_mm, acf) -> np.ndarray:
    """The power spectrum (unnormalised, on ``grid``) that AFNI's generator filters white noise with."""
    half = [m // 2 for m in grid]
    fold = [np.minimum(np.arange(m), m - np.arange(m)) for m in grid]
    dist = np.meshgrid(*[f * d for f, d in zip(fold, voxel_mm)], indexing="ij", sparse=True)
    acf_grid = acf_model(np.sqrt(sum(x**2 for x in dist)), *acf)
    acf_grid[half[0]] = 0.0
    acf_grid[:, half[1]] = 0.0
    acf_grid[:, :, half[2]] = 0.0
    power = sfft.fftn(acf_grid).real
    power[power < CLIP * abs(power[0, 0, 0])] = 0.0
    nonzero = power[:half[0], :half[1], :half[2]] > 0
    keep = np.ones(power.shape, bool)
    for axis in range(3):
        last = int(np.flatnonzero(nonzero.any(axis=tuple(a for a in range(3) if a != axis)))[-1])
        itop = last + 1 if last < half[axis] - 1 else last
        shape = [1, 1, 1]
        shape[axis] = grid[axis]
        keep &= (fold[axis] < itop).reshape(shape)
    power = power * keep
    power[0, 0, 0] = 0.0
    return power
