"""Writing NIfTI images (deterministic gzip) whole or not at all. Tables: :mod:`trialmri.tables`;
JSON and text: :mod:`trialmri.text_files`."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from trialmri.atomic import writing


def save_nifti(path, data: np.ndarray, affine: np.ndarray, dtype=np.float32, tr_s: float | None = None,
               description: str = "") -> Path:
    """Write ``data`` as NIfTI-1 (mm, s units); int dtypes are rounded and clipped to range."""
    path = Path(path)
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        data = np.clip(np.rint(data), info.min, info.max)
    img = nib.Nifti1Image(np.asarray(data).astype(dtype), affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_sform(affine, code=1)
    img.header.set_qform(affine, code=1)
    if tr_s is not None and data.ndim == 4:
        img.header.set_zooms((*img.header.get_zooms()[:3], float(tr_s)))
    if description:
        img.header["descrip"] = description[:79].encode()
    with writing(path) as hidden:
        nib.save(img, hidden)  # nibabel's gzip writer sets mtime 0: same bytes for same data
    return path
