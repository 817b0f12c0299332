"""Tiny, valid inputs of the trialmri programs, built in a test's folder (8 x 8 x 6 voxels at 4 mm, a
few volumes), and the ways test_program_errors.py spoils them: cut-short files, other grids, odd
label values. Every builder writes its file(s) and returns the path(s)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

SHAPE = (8, 8, 6)
AFFINE = np.array([[4.0, 0, 0, -14], [0, 4.0, 0, -14], [0, 0, 4.0, -10], [0, 0, 0, 1]])
SHIFTED = AFFINE + np.array([[0, 0, 0, 2.0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])  # origin +2 mm in x
COARSER = np.diag([5.0, 5.0, 5.0, 1.0])  # another voxel size, same shape
N_SUBJECTS = 8


def nii(path, data, affine=AFFINE) -> Path:
    """Write ``data`` as a NIfTI image at ``path`` (folders made); its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(data)
    if data.dtype == np.float64:
        data = data.astype(np.float32)
    if data.dtype == np.int64:
        data = data.astype(np.int32)
    nib.save(nib.Nifti1Image(data, affine), path)
    return path


def block(shape=SHAPE) -> np.ndarray:
    """A central block of ones (uint8): the brain of the tiny grid."""
    m = np.zeros(shape, np.uint8)
    m[tuple(slice(max(1, s // 4), s - max(1, s // 4)) for s in shape)] = 1
    return m


def mask(path, shape=SHAPE, affine=AFFINE) -> Path:
    return nii(path, block(shape), affine)


def series(path, volumes=20, shape=SHAPE, affine=AFFINE, seed=0) -> Path:
    """A 4-D series of smooth-ish noise around 100 (every voxel varies)."""
    rng = np.random.default_rng(seed)
    data = 100 + rng.normal(size=shape + (volumes,))
    data += 0.5 * np.roll(data, 1, axis=0) + 0.5 * np.roll(data, 1, axis=1)
    return nii(path, data.astype(np.float32), affine)


def labels(path, values=(1, 2), shape=SHAPE, affine=AFFINE) -> Path:
    """A label map: the left and right halves of the block hold ``values`` (any numbers)."""
    m = block(shape).astype(np.float32)
    half = shape[0] // 2
    out = np.zeros(shape, np.float32)
    out[:half][m[:half] > 0] = values[0]
    out[half:][m[half:] > 0] = values[1]
    return nii(path, out, affine)


def corrupt(path, volumes=8) -> Path:
    """A real .nii.gz (random data, so it compresses badly) cut to half its bytes: a valid gzip
    header, then the data stop."""
    path = Path(path)
    rng = np.random.default_rng(7)
    nii(path, rng.normal(size=SHAPE + ((volumes,) if volumes > 1 else ())).astype(np.float32))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def folder(path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def text(path, content: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def tsv_file(path) -> Path:
    """A small TSV table: what a user may pass where an image belongs."""
    return text(path, "subject\tgroup\tvalue\ns01\tA\t1.5\ns02\tB\t2.5\n")


# DWI: 2 b0s and 6 directions at b = 1000, an isotropic tensor (MD 0.8e-3) in the block.
BVALS = np.array([0, 1000, 1000, 1000, 1000, 1000, 1000, 0], float)
BVECS = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.7071, 0.7071, 0], [0.7071, 0, 0.7071],
                  [0, 0.7071, 0.7071], [0, 0, 0]], float)


def dwi(folder_, name="dwi") -> dict[str, Path]:
    """``{"dwi", "bval", "bvec"}``: an 8-volume DWI series with its FSL gradient files."""
    folder_ = Path(folder_)
    rng = np.random.default_rng(1)
    s0 = np.where(block() > 0, 1000.0, 50.0)
    data = s0[..., None] * np.exp(-BVALS * 0.8e-3) * (1 + 0.01 * rng.normal(size=SHAPE + (len(BVALS),)))
    image = nii(folder_ / f"{name}.nii.gz", data.astype(np.float32))
    return {"dwi": image, "bval": bvals(folder_ / f"{name}.bval"), "bvec": bvecs(folder_ / f"{name}.bvec")}


def bvals(path, values=BVALS) -> Path:
    return text(path, " ".join(f"{v:g}" for v in values) + "\n")


def bvecs(path, vectors=BVECS) -> Path:
    return text(path, "\n".join(" ".join(f"{v:g}" for v in row) for row in np.asarray(vectors).T) + "\n")


def b0(path, shift=0, shape=SHAPE, affine=AFFINE) -> Path:
    """A 3-D b0: a smooth blob, shifted ``shift`` voxels along y (the PE axis)."""
    x, y, z = np.meshgrid(*(np.arange(s, dtype=float) for s in shape), indexing="ij")
    c = [(s - 1) / 2 for s in shape]
    blob = 1000 * np.exp(-(((x - c[0]) / 2.5) ** 2 + ((y - c[1] - shift) / 2.5) ** 2 + ((z - c[2]) / 2) ** 2))
    return nii(path, (blob + 10).astype(np.float32), affine)


def b0_pair(folder_) -> tuple[Path, Path]:
    """``(ap, pa)``: the same blob displaced in opposite directions."""
    folder_ = Path(folder_)
    return b0(folder_ / "b0_ap.nii.gz", -0.5), b0(folder_ / "b0_pa.nii.gz", 0.5)


def lme_rows(n_subjects=N_SUBJECTS) -> pd.DataFrame:
    """The design of the voxelwise LME: subjects in two groups, each mapped pre and post, weight a
    covariate."""
    rows = []
    for s in range(n_subjects):
        for treatment in ("pre", "post"):
            rows.append({"subject": f"s{s + 1:02d}", "group": "AB"[s % 2], "treatment": treatment,
                         "weight": f"{60 + 3 * s + (treatment == 'post'):g}"})
    return pd.DataFrame(rows)


def lme_table(folder_, rows: pd.DataFrame | None = None, name="table.tsv", map_shape=SHAPE) -> Path:
    """A 3dLME-style table (subject, group, treatment, weight, InputFile) with one 3-D map per row
    under ``maps/`` (relative paths)."""
    folder_ = Path(folder_)
    rows = lme_rows() if rows is None else rows
    rng = np.random.default_rng(2)
    files = []
    for i, row in enumerate(rows.itertuples()):
        rel = f"maps/map{i + 1:02d}.nii.gz"
        effect = 0.5 * (getattr(row, "group", "A") == "B") + 0.3 * (getattr(row, "treatment", "pre") == "post")
        nii(folder_ / rel, (effect + rng.normal(size=map_shape)).astype(np.float32))
        files.append(rel)
    table = rows.copy()
    table["InputFile"] = files
    path = folder_ / name
    table.to_csv(path, sep="\t", index=False)
    return path


def roi_rows(n_subjects=N_SUBJECTS) -> pd.DataFrame:
    """A long table for roi-lme: subject, group, treatment, age, log_crp (the response)."""
    rng = np.random.default_rng(3)
    rows = []
    for s in range(n_subjects):
        u = rng.normal(0, 0.5)
        for treatment in ("pre", "post"):
            rows.append({"subject": f"s{s + 1:02d}", "group": "AB"[s % 2], "treatment": treatment,
                         "age": 30 + 2 * s, "log_crp": round(1 + u + 0.4 * (treatment == "post")
                                                             + rng.normal(0, 0.3), 4)})
    return pd.DataFrame(rows)


def roi_table(path, rows: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (roi_rows() if rows is None else rows).to_csv(path, sep="\t", index=False, na_rep="n/a")
    return path
