"""clustsim's noise fields (trialmri.clusters.noise): the pruned inverse FFT and the reused batch
buffers give, byte for byte, the fields of the direct computation (a full ``scipy.fft.ifftn`` on
fresh arrays), for any batch split and FFT thread count."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ellipsoid
from scipy import fft as sfft

from trialmri.clusters.noise import FieldGenerator, inverse_fft_box, ortho_factor

ACF = (0.6, 4.0, 9.0)


def direct_values(gen: FieldGenerator, rng: np.random.Generator, n: int) -> np.ndarray:
    """The fields as first implemented: fresh arrays, full-grid ``ifftn``."""
    pairs = (n + 1) // 2
    noise = rng.standard_normal((pairs, 2, *gen.shape), dtype=np.float32)
    spec = np.empty((pairs, *gen.shape), dtype=np.complex64)
    spec.real = noise[:, 0] * gen.filter
    spec.imag = noise[:, 1] * gen.filter
    fields = sfft.ifftn(spec, axes=(1, 2, 3), norm="ortho", workers=1, overwrite_x=True).reshape(pairs, -1)
    out = np.empty((2 * pairs, gen.index.size), dtype=np.float32)
    out[0::2] = fields.real[:, gen.index]
    out[1::2] = fields.imag[:, gen.index]
    return out[:n]


@pytest.mark.parametrize("shape, box", [((24, 30, 21), (17, 22, 15)), ((20, 18, 27), (20, 18, 27)),
                                        ((22, 26, 29), (3, 5, 4)), ((21, 19, 23), (15, 11, 17))])
@pytest.mark.parametrize("workers", [1, 2])
def test_inverse_fft_box_equals_ifftn_in_the_box(shape, box, workers):
    rng = np.random.default_rng(sum(shape))
    spec = (rng.standard_normal((3, *shape)) + 1j * rng.standard_normal((3, *shape))).astype(np.complex64)
    expected = sfft.ifftn(spec, axes=(1, 2, 3), norm="ortho")
    inverse_fft_box(spec, box, ortho_factor(shape), workers)
    corner = (slice(None), *(slice(0, n) for n in box))
    assert spec[corner].tobytes() == expected[corner].tobytes()


def test_ortho_factor_is_one_over_the_root_of_the_voxels():
    assert ortho_factor((96, 120, 105)) == pytest.approx(1 / np.sqrt(96 * 120 * 105), rel=1e-7)
    assert ortho_factor((96, 120, 105)).dtype == np.float32


@pytest.mark.parametrize("spectrum", ["exact", "afni"])
def test_fields_equal_the_direct_computation_for_any_batch_split(spectrum):
    mask = ellipsoid((26, 30, 24))
    gen = FieldGenerator(mask, (2.0, 2.0, 2.0), ACF, spectrum=spectrum)
    sizes = [6, 6, 3, 8, 1]  # a smaller batch after a larger one reuses part of the buffers
    rng_a, rng_b = (np.random.Generator(np.random.PCG64(4)) for _ in range(2))
    ours = [gen.values(rng_a, n) for n in sizes]
    direct = [direct_values(gen, rng_b, n) for n in sizes]
    assert [a.shape for a in ours] == [(n, int(gen.mask.sum())) for n in sizes]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(ours, direct))
    assert all(not np.shares_memory(a, b) for a, b in zip(ours, ours[1:]))  # each batch a new array


def test_fields_do_not_depend_on_fft_threads():
    mask = ellipsoid((26, 30, 24))
    one, two = (FieldGenerator(mask, (2.0, 2.0, 2.0), ACF, workers=w) for w in (1, 2))
    a = one.values(np.random.Generator(np.random.PCG64(9)), 8)
    b = two.values(np.random.Generator(np.random.PCG64(9)), 8)
    assert a.tobytes() == b.tobytes()
