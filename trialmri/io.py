"""Writing NIfTI images (deterministic gzip) whole or not at all. Tables: :mod:`trialmri.tables`;
JSON and text: :mod:`trialmri.text_files`.

:func:`save_masked_nifti` writes an image that is zero outside a mask from its in-mask values only,
at a fraction of the CPU cost of :func:`save_nifti` (no deflate of the in-mask values: they are
stored, the zeros around them are compressed); the file holds the same bytes once decompressed.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np

from trialmri.atomic import writing

STORED_MAX = 65535  # bytes in one stored deflate block
MIN_ZERO_RUN = 64  # bytes: shorter runs of zeros between in-mask voxels are stored, not compressed
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0 (same bytes)
FINAL_BLOCK = b"\x01\x00\x00\xff\xff"  # an empty, final stored block
_LAYOUTS: dict = {}  # MaskedVolumeDeflate.of: the last layout made


def _as_dtype(data: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``data`` as ``dtype``; int dtypes are rounded and clipped to their range."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        data = np.clip(np.rint(data), info.min, info.max)
    return np.asarray(data).astype(dtype)


def _nifti_image(data: np.ndarray, affine: np.ndarray, tr_s: float | None, description: str) -> nib.Nifti1Image:
    """A NIfTI-1 image of ``data`` (already of its on-disk dtype): mm and s units, sform = qform."""
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_sform(affine, code=1)
    img.header.set_qform(affine, code=1)
    if tr_s is not None and data.ndim == 4:
        img.header.set_zooms((*img.header.get_zooms()[:3], float(tr_s)))
    if description:
        img.header["descrip"] = description[:79].encode()
    return img


def save_nifti(path, data: np.ndarray, affine: np.ndarray, dtype=np.float32, tr_s: float | None = None,
               description: str = "") -> Path:
    """Write ``data`` as NIfTI-1 (mm, s units); int dtypes are rounded and clipped to range."""
    path = Path(path)
    img = _nifti_image(_as_dtype(data, np.dtype(dtype)), affine, tr_s, description)
    with writing(path) as hidden:
        nib.save(img, hidden)  # nibabel's gzip writer sets mtime 0: same bytes for same data
    return path


def _header_bytes(shape: tuple, affine: np.ndarray, dtype: np.dtype, tr_s: float | None, description: str) -> bytes:
    """The bytes nibabel writes before the data of a single-file NIfTI-1 image (header, extension
    flag, padding to ``vox_offset``), for an image of ``shape`` and ``dtype``."""
    img = _nifti_image(np.zeros(shape, dtype), affine, tr_s, description)  # zeros: pages never touched
    img.update_header()
    hdr = img.header
    hdr.set_slope_inter(1.0, 0.0)  # what nibabel's writer sets for data already of the on-disk dtype
    out = io.BytesIO()
    hdr.write_to(out)
    return out.getvalue().ljust(int(hdr.get_data_offset()), b"\0")


def _stored_blocks(n_bytes: int) -> list[tuple[bytes, int]]:
    """(block header, data bytes) of the non-final stored deflate blocks holding ``n_bytes``."""
    sizes = [STORED_MAX] * (n_bytes // STORED_MAX) + ([n_bytes % STORED_MAX] if n_bytes % STORED_MAX else [])
    return [(b"\x00" + struct.pack("<HH", n, n ^ 0xFFFF), n) for n in sizes]


def _zeros_block(n_bytes: int, cache: dict) -> bytes:
    """Deflate blocks of ``n_bytes`` zeros, ending byte-aligned (a full flush), not final."""
    if n_bytes not in cache:
        comp = zlib.compressobj(1, zlib.DEFLATED, -15)
        cache[n_bytes] = comp.compress(bytes(n_bytes)) + comp.flush(zlib.Z_FULL_FLUSH)
    return cache[n_bytes]


class MaskedVolumeDeflate:
    """The deflate layout of one volume that is zero outside ``flat_mask`` (the grid's voxels in
    file order, NIfTI's x fastest): runs of in-mask voxels (with the short gaps between them) as
    stored blocks, the zeros between runs as compressed blocks. The layout depends only on the
    mask, so it is made once and filled with each volume's stored bytes."""

    def __init__(self, flat_mask: np.ndarray, itemsize: int):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], flat_mask.view(np.int8), [0]])))
        starts, stops = edges[::2], edges[1::2]  # in-mask runs [start, stop), voxels
        keep = np.concatenate([[True], (starts[1:] - stops[:-1]) * itemsize >= MIN_ZERO_RUN])[:starts.size]
        starts, stops = starts[keep], np.concatenate([stops[:-1][keep[1:]], stops[-1:]])
        stored = np.zeros(flat_mask.size, bool)
        pieces, data, cache, end = [], [], {}, 0
        for start, stop in zip(starts, stops):
            if start > end:
                pieces.append(_zeros_block((start - end) * itemsize, cache))
                data.append(0)
            for header, n in _stored_blocks(int(stop - start) * itemsize):
                pieces += [header, bytes(n)]
                data += [0, n]
            stored[start:stop], end = True, stop
        if flat_mask.size > end:
            pieces.append(_zeros_block((flat_mask.size - end) * itemsize, cache))
            data.append(0)
        self.template = np.frombuffer(b"".join(pieces), np.uint8)
        lengths = np.array([len(p) for p in pieces])
        self.is_data = np.repeat(np.array(data) > 0, lengths)
        self.stored = np.flatnonzero(stored)  # grid voxels (file order) written as stored bytes

    @classmethod
    def of(cls, mask: np.ndarray, itemsize: int) -> MaskedVolumeDeflate:
        """The layout of a 3-D ``mask`` (numpy's axes) for ``itemsize``-byte voxels; the last one
        made is reused (a program writes several images on one mask)."""
        flat_mask = mask.ravel(order="F")
        key = (mask.shape, itemsize, np.packbits(flat_mask).tobytes())
        if key not in _LAYOUTS:
            _LAYOUTS.clear()
            _LAYOUTS[key] = cls(flat_mask, itemsize)
        return _LAYOUTS[key]

    def deflate(self, volume: np.ndarray) -> np.ndarray:
        """The deflate bytes (uint8) of one volume (the grid's voxels in file order, zero outside
        the mask)."""
        out = self.template.copy()
        out[self.is_data] = volume[self.stored].view(np.uint8)
        return out


def file_positions(mask: np.ndarray) -> np.ndarray:
    """Position (int64) of each voxel of ``mask``, in the order of ``volume[mask]`` (numpy's C
    order), among the grid's voxels in file order (NIfTI's: x fastest)."""
    return np.ravel_multi_index(np.nonzero(mask), mask.shape, order="F")


def save_masked_nifti(path, values: np.ndarray, mask: np.ndarray, affine: np.ndarray, dtype=np.float32,
                      fill: float | None = None, tr_s: float | None = None, description: str = "") -> Path:
    """Write the image that holds ``values`` inside ``mask`` and 0 outside, as
    ``save_nifti(path, grid, ...)`` writes it (the same bytes once decompressed; a valid .nii.gz).

    ``values``: (voxels,) for a 3-D image or (volumes, voxels) for a 4-D one, the voxels in the order
    of ``grid[mask]`` (numpy's C order); non-finite values are written as ``fill`` when it is given.
    The in-mask values are stored uncompressed in the gzip stream, the zeros are compressed: about
    the size of gzip level 1 for maps of noise-like floats, at a tenth of its CPU time."""
    path = Path(path)
    dtype = np.dtype(dtype)
    rows = np.atleast_2d(values)
    shape = mask.shape + ((len(rows),) if np.ndim(values) > 1 else ())
    header = _header_bytes(shape, affine, dtype, tr_s, description)
    dest = file_positions(mask)
    layout = MaskedVolumeDeflate.of(mask, dtype.itemsize)
    volume = np.zeros(mask.size, dtype)
    crc, size = zlib.crc32(header), len(header)
    with writing(path) as hidden, open(hidden, "wb") as f:
        (block_header, _), = _stored_blocks(len(header))  # a header without extensions: one block
        f.write(GZIP_HEADER + block_header + header)
        for row in rows:
            if fill is not None:
                row = np.where(np.isfinite(row), row, fill)
            volume[dest] = _as_dtype(row, dtype)
            crc = zlib.crc32(volume, crc)
            size += volume.nbytes
            f.write(layout.deflate(volume))
        f.write(FINAL_BLOCK + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return path
