"""Images a program reads, checked before any computation: readable to the end, grids, masks, labels.

Every check raises :class:`trialmri.errors.InputError` with a message that names the option and the
file, says what is wrong and how to fix it. An image is read whole here (the data block to its
last byte), so a corrupt or cut-short ``.nii.gz`` fails at once, not halfway through a fit; the
returned image holds its data in memory and later reads cost nothing.

Grids: two images share a grid as :func:`trialmri.grids.same_grid` says (shapes equal, affines
within 1e-3 mm); :func:`grid_difference` says which part differs.
"""

from __future__ import annotations

import io
import mmap
import zlib
from types import SimpleNamespace

import nibabel as nib
import numpy as np

from trialmri.errors import InputError, existing_file
from trialmri.grids import same_grid

# The description trialmri lme writes into its fit mask's header: fitted voxels hold 1.
FITMASK_DESCRIPTION = "trialmri lme fit mask"
GRID_ATOL_MM = 1e-3


def _cause(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def read_image(path, what: str) -> nib.Nifti1Image:
    """The NIfTI image at ``path`` with its whole data block read (``what``: option, e.g. ``--mask``)."""
    path = existing_file(path, what, "a .nii or .nii.gz file")
    try:
        img = nib.load(path)
    except Exception as err:  # nibabel raises several types for files it cannot read
        raise InputError(f"{what} {path}: not a readable NIfTI image ({_cause(err)}); give a .nii or "
                         ".nii.gz file") from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InputError(f"{what} {path}: a {type(img).__name__}, not NIfTI; convert it (e.g. mri_convert, "
                         "3dAFNItoNIFTI)")
    try:
        data = np.asanyarray(img.dataobj)
    except (EOFError, OSError, ValueError, zlib.error) as err:
        raise InputError(f"{what} {path}: the image data are cut short or corrupt ({_cause(err)}); copy or "
                         "write the file again") from None
    return type(img)(data, img.affine, img.header)


def read_image_values(path, what: str, dtype=np.float32) -> tuple[np.ndarray, object]:
    """The data of the NIfTI image at ``path`` as ``dtype`` (what ``np.asarray(img.dataobj, dtype)``
    of :func:`read_image`'s image gives) and its grid (an object with ``shape`` and ``affine``).

    A single-file NIfTI-1 image of floats without scaling is read in one piece: memory-mapped
    (``.nii``) or inflated in one call (``.nii.gz``, one gzip member, its CRC checked), without
    nibabel's copies; anything else, and any file that is cut short or corrupt, goes
    through :func:`read_image` and its checks and messages."""
    try:
        fast = _read_plain_float_nifti(path)
    except Exception:  # noqa: BLE001 -- read_image says what is wrong with the file
        fast = None
    if fast is None:
        img = read_image(path, what)
        return np.asarray(img.dataobj, dtype=dtype), img
    data, grid = fast
    return data.astype(dtype, copy=False), grid


def _read_plain_float_nifti(path) -> tuple[np.ndarray, SimpleNamespace] | None:
    """(data as stored, in its own dtype; grid) of a whole single-file NIfTI-1 image of floats
    without scaling, or None for any other image (then :func:`read_image` reads it)."""
    with open(path, "rb") as f:
        raw = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    data = raw
    if raw[:2] == b"\x1f\x8b":
        inflate = zlib.decompressobj(31)
        data = inflate.decompress(raw)
        if not inflate.eof or inflate.unused_data:  # cut short, or more gzip members than one
            return None
    hdr = nib.Nifti1Header.from_fileobj(io.BytesIO(data[:nib.Nifti1Header.single_vox_offset]))
    slope, inter = hdr.get_slope_inter()
    dtype, shape = hdr.get_data_dtype(), hdr.get_data_shape()
    offset, count = int(hdr.get_data_offset()), int(np.prod(shape))
    if (hdr["magic"] != b"n+1" or dtype.kind != "f" or slope not in (None, 1.0) or inter not in (None, 0.0)
            or len(data) < offset + count * dtype.itemsize):
        return None
    values = np.frombuffer(data, dtype, count=count, offset=offset).reshape(shape, order="F")
    return values, SimpleNamespace(shape=tuple(shape), affine=hdr.get_best_affine())


def grid_difference(img, ref) -> str:
    """How ``img``'s grid differs from ``ref``'s ('' when they share one): shape, voxel size,
    orientation (axis codes) or origin."""
    if same_grid(img, ref):
        return ""
    if tuple(img.shape[:3]) != tuple(ref.shape[:3]):
        return f"shape {tuple(img.shape[:3])} vs {tuple(ref.shape[:3])}"
    a, b = np.asarray(img.affine, float), np.asarray(ref.affine, float)
    size_a, size_b = (np.sqrt((m[:3, :3] ** 2).sum(axis=0)) for m in (a, b))
    if not np.allclose(size_a, size_b, atol=GRID_ATOL_MM):
        return f"same shape {tuple(img.shape[:3])} but voxel size {_mm(size_a)} vs {_mm(size_b)} mm"
    codes_a, codes_b = ("".join(nib.aff2axcodes(m)) for m in (a, b))
    if codes_a != codes_b:
        return f"same shape and voxel size but orientation {codes_a} vs {codes_b}"
    if not np.allclose(a[:3, :3], b[:3, :3], atol=GRID_ATOL_MM):
        return "same shape, voxel size and orientation but the axes are rotated differently (affines differ)"
    shift = a[:3, 3] - b[:3, 3]
    return f"same shape, voxel size and orientation but the origin is shifted by {_mm(shift)} mm"


def _mm(values) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def check_grid(img, ref, what: str, path, ref_what: str, ref_path) -> None:
    """Raise unless ``img`` (``what`` at ``path``) is on the grid of ``ref`` (``ref_what`` at ``ref_path``)."""
    diff = grid_difference(img, ref)
    if diff:
        raise InputError(f"{what} {path} is not on the grid of {ref_what} {ref_path}: {diff}; resample it "
                         f"onto that grid (e.g. 3dresample -master, flirt -applyxfm -usesqform)")


def _one_volume(img, what: str, path) -> np.ndarray:
    data = np.asarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise InputError(f"{what} {path}: {data.ndim}-D {tuple(data.shape)}; it must be one 3-D volume")
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        raise InputError(f"{what} {path}: holds NaN or Inf values; it must be finite")
    return data


def read_mask(path, what: str = "--mask", ref=None, ref_what: str = "", ref_path=None,
              threshold: float | None = None, allow_empty: bool = False) -> tuple[np.ndarray, nib.Nifti1Image]:
    """A 3-D boolean mask: ``(mask, image)``.

    Accepted as binary: 0 and one other value. trialmri lme's fit mask (header description
    :data:`FITMASK_DESCRIPTION`, codes 1 fitted, 2-7 not fitted) gives its fitted voxels. Anything
    else (a probability map, a label map) needs an explicit ``threshold`` (voxels > threshold).
    """
    img = read_image(path, what)
    if ref is not None:
        check_grid(img, ref, what, path, ref_what, ref_path)
    data = _one_volume(img, what, path)
    if threshold is not None:
        mask = data > threshold
    elif is_fitmask(img):
        mask = data == 1
    else:
        values = np.unique(data[data != 0])
        if values.size > 1:
            shown = ", ".join(f"{v:g}" for v in values[:4]) + (", ..." if values.size > 4 else "")
            raise InputError(f"{what} {path}: not binary (non-zero values {shown}); give a 0/1 mask, or "
                             "threshold it (--mask-threshold T keeps voxels above T)")
        mask = data != 0
    if not mask.any() and not allow_empty:
        raise InputError(f"{what} {path}: no voxel in the mask; check the file (or --mask-threshold)")
    return mask, img


def is_fitmask(img) -> bool:
    """Whether ``img`` is a fit mask written by trialmri lme (fitted voxels are 1)."""
    return bytes(img.header["descrip"]).split(b"\0")[0].decode("latin-1").startswith(FITMASK_DESCRIPTION)


def read_labels(path, what: str, ref=None, ref_what: str = "", ref_path=None) -> tuple[np.ndarray, nib.Nifti1Image]:
    """A 3-D integer label map (0 = no label): ``(labels int32, image)``; fractional or negative
    values are an error (a resampled label map must use nearest-neighbour interpolation)."""
    img = read_image(path, what)
    if ref is not None:
        check_grid(img, ref, what, path, ref_what, ref_path)
    data = _one_volume(img, what, path)
    fractional = np.unique(data[data != np.rint(data)])
    if fractional.size:
        shown = ", ".join(f"{v:g}" for v in fractional[:4]) + (", ..." if fractional.size > 4 else "")
        raise InputError(f"{what} {path}: labels must be whole numbers, found {shown}; a resampled label "
                         "map needs nearest-neighbour interpolation")
    if (data < 0).any():
        raise InputError(f"{what} {path}: negative labels; labels are positive whole numbers, 0 = none")
    return np.rint(data).astype(np.int32), img


def read_series(path, what: str, min_volumes: int = 2) -> nib.Nifti1Image:
    """A 4-D series of at least ``min_volumes`` volumes."""
    img = read_image(path, what)
    n = img.shape[3] if img.ndim == 4 else 1
    if img.ndim not in (3, 4) or n < min_volumes:
        raise InputError(f"{what} {path}: {img.ndim}-D {tuple(img.shape)}, {n} volume(s); a 4-D series of at "
                         f"least {min_volumes} volumes is needed")
    return img
