"""Gaussian noise fields with a given spatial autocorrelation, in batches, by FFT.

The field's power spectrum is the discrete Fourier transform of the ACF sampled on the periodic
FFT grid (distances to the nearest image); its square root filters complex white noise drawn
directly in the frequency domain, and one inverse FFT gives two independent fields (its real and
imaginary parts, since the filter is real and even). Fields have unit variance and correlation
``acf_model(r)`` between voxels r mm apart. The FFT grid is the mask's bounding box padded until
the ACF has fallen below ``WRAP_ACF`` across the wrap, so opposite sides of the mask do not see
each other. ``spectrum="afni"`` draws instead from the spectrum AFNI's 3dClustSim uses
(``afni_spectrum``: its FFT grid, without the Nyquist and next-highest frequencies), to reproduce
3dClustSim's tables.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft

from trialmri.clusters.acf import acf_model
from trialmri.clusters.afni_spectrum import afni_grid, afni_power

SPECTRA = ("exact", "afni")

WRAP_ACF = 0.01


def wrap_radius(acf, voxel_mm) -> float:
    """Smallest radius (mm) beyond which ``acf_model`` stays below ``WRAP_ACF``, on a grid of a
    quarter of the smallest voxel edge."""
    a, b, c = (float(v) for v in acf)
    # beyond r_hi each term alone is below WRAP_ACF / 2, so the sum is below WRAP_ACF
    r_hi = max(b * np.sqrt(2 * np.log(max(a, 1e-12) / (WRAP_ACF / 2))) if a > WRAP_ACF / 2 else 0.0,
               c * np.log(max(1 - a, 1e-12) / (WRAP_ACF / 2)) if 1 - a > WRAP_ACF / 2 else 0.0)
    step = 0.25 * float(min(voxel_mm))
    r = np.arange(0.0, r_hi + 2 * step, step)
    above = np.flatnonzero(acf_model(r, *acf) >= WRAP_ACF)
    return float(r[above[-1] + 1]) if above.size else 0.0


def ortho_factor(shape) -> np.float32:
    """The factor (1/sqrt(voxels of ``shape``), float32) by which ``scipy.fft.ifftn(norm="ortho")``
    scales a complex64 array of ``shape``: its value at the origin for a unit impulse there, so
    exactly the number pocketfft computes and applies."""
    impulse = np.zeros(shape, dtype=np.complex64)
    impulse[(0,) * len(shape)] = 1.0
    return np.float32(sfft.ifftn(impulse, norm="ortho")[(0,) * len(shape)].real)


def inverse_fft_box(spec: np.ndarray, box, ortho: np.float32, workers: int = 1) -> None:
    """In place, ``scipy.fft.ifftn(spec, axes=(1, 2, 3), norm="ortho")`` on the corner ``box``
    (voxels per axis) of each volume of ``spec`` (batch, x, y, z) complex64; outside it, ``spec``
    is left partly transformed.

    The same axis passes in the same order as ``ifftn`` (x, y, z; ``ortho`` applied after the
    first, as pocketfft does), so the corner is byte-identical to it; but the scaling and the y
    pass run only on the box's x rows and the z pass only on its (x, y) lines: about 0.8 of the
    work on the 2 mm MNI grid (96 x 120 x 105, box 73 x 90 x 78).
    """
    sfft.ifft(spec, axis=1, norm="forward", overwrite_x=True, workers=workers)  # "forward": unscaled
    rows = spec[:, :box[0]]
    rows.view(np.float32)[...] *= ortho
    sfft.ifft(rows, axis=2, norm="forward", overwrite_x=True, workers=workers)
    sfft.ifft(spec[:, :box[0], :box[1]], axis=3, norm="forward", overwrite_x=True, workers=workers)


class FieldGenerator:
    """Batches of noise fields with ACF (a, b, c) on the bounding box of ``mask``.

    ``values(rng, n)`` returns float32 (n, mask voxels) in the order of ``np.flatnonzero`` over
    the cropped mask (``self.mask``); n is rounded up to an even number internally.
    """

    def __init__(self, mask: np.ndarray, voxel_mm, acf, workers: int = 1, spectrum: str = "exact"):
        mask = np.asarray(mask, bool)
        if not mask.any():
            raise ValueError("the mask is empty")
        if spectrum not in SPECTRA:
            raise ValueError(f"noise spectrum {spectrum!r} is not one of {', '.join(SPECTRA)}")
        nz = np.nonzero(mask)
        self.box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in nz)
        self.mask = mask[self.box]
        voxel_mm = np.asarray(voxel_mm, float)
        if spectrum == "afni":  # AFNI's grid (from the whole dataset grid) and band-limited spectrum
            self.shape = afni_grid(mask.shape, voxel_mm, acf)
            power = afni_power(self.shape, voxel_mm, acf)
        else:
            pad = np.ceil(wrap_radius(acf, voxel_mm) / voxel_mm).astype(int)
            self.shape = tuple(int(sfft.next_fast_len(int(n + p))) for n, p in zip(self.mask.shape, pad))
            dist = np.meshgrid(*[np.minimum(np.arange(n), n - np.arange(n)) * d
                                 for n, d in zip(self.shape, voxel_mm)], indexing="ij", sparse=True)
            r = np.sqrt(sum(x**2 for x in dist))
            power = np.maximum(sfft.fftn(acf_model(r, *acf)).real, 0.0)
        power *= power.size / power.sum()  # unit variance after clipping
        self.filter = np.sqrt(power).astype(np.float32)
        self.index = np.ravel_multi_index(np.nonzero(self.mask), self.shape)
        self.workers = workers
        self.ortho = ortho_factor(self.shape)
        self._noise = self._spec = None  # batch buffers, reused (see ``_buffers``)

    @property
    def n_voxels(self) -> int:
        return int(self.index.size)

    def _buffers(self, pairs: int) -> tuple[np.ndarray, np.ndarray]:
        """The white noise (pairs, 2, *shape) float32 and spectrum (pairs, *shape) complex64 of a
        batch: allocated once (154 MB for 8 pairs on the 2 mm MNI grid) and refilled batch after
        batch, as fresh arrays of that size cost page faults (a fifth of the CPU time) every batch."""
        if self._noise is None or self._noise.shape[0] < pairs:
            self._noise = np.empty((pairs, 2, *self.shape), dtype=np.float32)
            self._spec = np.empty((pairs, *self.shape), dtype=np.complex64)
        return self._noise[:pairs], self._spec[:pairs]

    def values(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` fields, float32 (n, mask voxels), a new array; from ``rng``, as many normals
        (float32) as the grid has voxels, for every two fields."""
        pairs = (n + 1) // 2
        noise, spec = self._buffers(pairs)
        rng.standard_normal(dtype=np.float32, out=noise)
        np.multiply(noise[:, 0], self.filter, out=spec.real)
        np.multiply(noise[:, 1], self.filter, out=spec.imag)
        inverse_fft_box(spec, self.mask.shape, self.ortho, self.workers)
        fields = spec.reshape(pairs, -1)
        out = np.empty((2 * pairs, self.index.size), dtype=np.float32)
        out[0::2] = fields.real[:, self.index]
        out[1::2] = fields.imag[:, self.index]
        return out[:n]
