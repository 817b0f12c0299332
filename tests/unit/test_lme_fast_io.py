"""trialmri lme's cheap reading and writing: the masked gzip writer gives the bytes save_nifti gives,
the one-piece reader the values nibabel gives (or falls back to it), and the program's outputs do
not depend on whether the maps are .nii or .nii.gz; --no-resid writes no residuals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.cli import main
from trialmri.errors import InputError
from trialmri.image_inputs import _read_plain_float_nifti, read_image_values
from trialmri.io import STORED_MAX, file_positions, save_masked_nifti, save_nifti

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lme"
AFFINE = np.array([[-2.0, 0, 0, 30], [0, 2, 0, -40], [0, 0, 2, -20], [0, 0, 0, 1]])


def _masks() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    shape = (41, 37, 23)  # runs of in-mask floats longer than one stored block (STORED_MAX bytes)
    x, y, z = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    blob = (x**2 + y**2 + z**2 < 0.8) & (rng.random(shape) > 0.05)  # holes: short and long gaps
    edge = np.zeros(shape, bool)
    edge[0], edge[-1, :, -1] = True, True  # the first and the last voxel of the file
    return {"blob": blob, "edge": edge, "full": np.ones(shape, bool), "empty": np.zeros(shape, bool),
            "scattered": rng.random(shape) > 0.7}


def _inflated(path) -> bytes:
    return gzip.decompress(Path(path).read_bytes())  # checks the CRC and the length too


@pytest.mark.parametrize("name", list(_masks()))
def test_masked_writer_gives_save_niftis_bytes(tmp_path, name):
    mask = _masks()[name]
    n = int(mask.sum())
    values = np.random.default_rng(0).standard_normal((4, n)).astype(np.float32)
    values[:, ::17] = np.nan
    grid = np.zeros(mask.shape + (4,), np.float32)
    grid[mask] = np.nan_to_num(values, nan=0.5).T
    save_masked_nifti(tmp_path / "a.nii.gz", values, mask, AFFINE, fill=0.5, description="test")
    save_nifti(tmp_path / "b.nii.gz", grid, AFFINE, description="test")
    assert _inflated(tmp_path / "a.nii.gz") == _inflated(tmp_path / "b.nii.gz")
    assert np.array_equal(np.asarray(nib.load(tmp_path / "a.nii.gz").dataobj), grid)
    if name == "full":
        assert mask.size * 4 > STORED_MAX


def test_masked_writer_3d_integer_rounds_and_clips_as_save_nifti(tmp_path):
    mask = _masks()["blob"]
    values = np.random.default_rng(1).uniform(-20, 300, int(mask.sum()))
    grid = np.zeros(mask.shape)
    grid[mask] = values
    save_masked_nifti(tmp_path / "a.nii.gz", values, mask, AFFINE, dtype=np.uint8)
    save_nifti(tmp_path / "b.nii.gz", grid, AFFINE, dtype=np.uint8)
    assert _inflated(tmp_path / "a.nii.gz") == _inflated(tmp_path / "b.nii.gz")


def test_file_positions_follow_numpys_mask_order():
    mask = _masks()["scattered"]
    grid = np.arange(mask.size).reshape(mask.shape)
    assert np.array_equal(grid.reshape(-1, order="F")[file_positions(mask)], grid[mask])


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize("dtype, slope", [(np.float32, None), (np.float64, None), (np.int16, None),
                                          (np.float32, 2.0)])
def test_read_image_values_equals_nibabel(tmp_path, suffix, dtype, slope):
    data = np.random.default_rng(2).normal(0, 50, (7, 6, 5)).astype(dtype)
    img = nib.Nifti1Image(data, AFFINE)
    if slope is not None:
        img.header.set_slope_inter(slope, 1.0)
    path = tmp_path / f"map{suffix}"
    nib.save(img, path)
    values, grid = read_image_values(path, "InputFile")
    ref = nib.load(path)
    assert values.dtype == np.float32
    assert np.array_equal(values, np.asarray(ref.dataobj, dtype=np.float32))
    assert grid.shape == ref.shape and np.array_equal(grid.affine, ref.affine)
    one_piece = np.dtype(dtype).kind == "f" and slope is None  # else nibabel reads it (scaling, ints)
    assert (_read_plain_float_nifti(path) is not None) == one_piece


def test_read_image_values_multi_member_gzip_equals_nibabel(tmp_path):
    """A .nii.gz of several gzip members (pigz --independent, or files joined with cat) is valid
    gzip: not the one-piece path, read through nibabel with the same values."""
    plain = tmp_path / "map.nii"
    nib.save(nib.Nifti1Image(np.random.default_rng(5).normal(size=(9, 8, 7)).astype(np.float32), AFFINE), plain)
    raw = plain.read_bytes()
    path = tmp_path / "map.nii.gz"
    path.write_bytes(gzip.compress(raw[:500]) + gzip.compress(raw[500:]))
    assert _read_plain_float_nifti(path) is None
    values, grid = read_image_values(path, "InputFile")
    assert np.array_equal(values, np.asarray(nib.load(plain).dataobj))
    assert np.array_equal(grid.affine, nib.load(plain).affine)


@pytest.mark.parametrize("cut", [100, 2000])
def test_read_image_values_cut_short_is_an_input_error(tmp_path, cut):
    path = tmp_path / "map.nii.gz"
    save_nifti(path, np.random.default_rng(4).random((20, 20, 20)), AFFINE)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(InputError, match="map.nii.gz"):
        read_image_values(path, "InputFile")


def _lme_inputs(tmp_path, suffix: str) -> Path:
    """The fixture's 89 rows of 60 voxels as maps on a 5 x 4 x 3 grid, a mask of 50 voxels."""
    design = pd.read_csv(FIXTURE / "design.tsv", sep="\t")
    data = pd.read_csv(FIXTURE / "data.tsv", sep="\t").to_numpy()[:, :60]
    names = []
    for row, values in enumerate(data):
        names.append(f"maps/row{row:02d}{suffix}")
        (tmp_path / "maps").mkdir(exist_ok=True)
        save_nifti(tmp_path / names[-1], values.reshape(5, 4, 3), AFFINE)
    mask = np.zeros(60, bool)
    mask[5:55] = True
    save_nifti(tmp_path / "mask.nii.gz", mask.reshape(5, 4, 3), AFFINE, dtype=np.uint8)
    table = tmp_path / f"table{suffix.replace('.', '_')}.tsv"
    design[["subject", "group", "treatment", "order"]].assign(InputFile=names).to_csv(table, sep="\t", index=False)
    return table


def _run(tmp_path, table: Path, prefix: str, *extra) -> Path:
    out = tmp_path / "out" / prefix
    assert main(["lme", "--table", str(table), "--formula", "group*treatment+order", "--mask",
                 str(tmp_path / "mask.nii.gz"), "--out-prefix", str(out), *extra]) == 0
    return out


def test_lme_outputs_same_from_nii_and_nii_gz_maps(tmp_path):
    gz = _run(tmp_path, _lme_inputs(tmp_path, ".nii.gz"), "gz")
    plain = _run(tmp_path, _lme_inputs(tmp_path, ".nii"), "plain")
    for kind in ("stats", "fitmask", "resid"):
        assert _inflated(f"{gz}_{kind}.nii.gz") == _inflated(f"{plain}_{kind}.nii.gz"), kind
    resid = nib.load(f"{gz}_resid.nii.gz").get_fdata()
    assert resid.shape == (5, 4, 3, 89)
    outside = np.ones(60, bool)
    outside[5:55] = False
    assert not resid.reshape(60, 89, order="C")[outside].any() and resid.any()


def test_lme_without_residuals_writes_no_residual_file(tmp_path):
    out = _run(tmp_path, _lme_inputs(tmp_path, ".nii.gz"), "P", "--no-resid")
    assert not Path(f"{out}_resid.nii.gz").exists()
    assert Path(f"{out}_stats.nii.gz").exists() and Path(f"{out}_fitmask.nii.gz").exists()
    assert json.loads(Path(f"{out}_stats.json").read_text())["residuals"] is None
