"""trialmri clustsim --noise afni: the spectrum AFNI's 3dClustSim draws from, checked against what
real 3dClustSim printed for a 41 x 50 x 43 grid of 4 mm voxels with ACF (0.674, 3.56, 2.79): "pads
to 48x60x60", "Kernel image dimensions 23 x 29 x 29" (the frequencies kept per half axis, one
fewer than the grid's half); and the fields it makes are smoother than the exact ACF's."""

import numpy as np

from trialmri.clusters.acf import acf_model
from trialmri.clusters.afni_spectrum import afni_fft_len, afni_grid, afni_power
from trialmri.clusters.noise import FieldGenerator

ACF = (0.674431, 3.56098, 2.79192)
VOXEL = (4.0, 4.0, 4.0)


def test_grid_and_band_limit_are_3dclustsims():
    assert [afni_fft_len(n) for n in (46, 49, 57, 75)] == [48, 60, 60, 80]  # 50 = 2·5², 54 = 2·3³: not allowed
    grid = afni_grid((41, 50, 43), VOXEL, ACF)
    assert grid == (48, 60, 60)
    power = afni_power(grid, VOXEL, ACF)
    kept = [int(np.flatnonzero(power.any(axis=tuple(a for a in range(3) if a != ax))[:m // 2]).max()) + 1
            for ax, m in enumerate(grid)]
    assert kept == [23, 29, 29] and power[0, 0, 0] == 0


def test_afni_fields_are_smoother_than_the_acf_and_exact_fields_are_not():
    mask = np.ones((41, 50, 43), bool)
    lag1 = {}
    for spectrum in ("exact", "afni"):
        gen = FieldGenerator(mask, VOXEL, ACF, spectrum=spectrum)
        f = gen.values(np.random.Generator(np.random.PCG64(3)), 40).reshape(40, *gen.mask.shape)
        f = (f - f.mean(axis=(1, 2, 3), keepdims=True)) / f.std(axis=(1, 2, 3), keepdims=True)
        lag1[spectrum] = float(np.mean(f[:, 1:] * f[:, :-1]))
    expected = float(acf_model(4.0, *ACF))  # 0.437
    assert abs(lag1["exact"] - expected) < 0.01
    assert lag1["afni"] - expected > 0.02  # AFNI's fields: 0.466
