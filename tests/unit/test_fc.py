"""rsfMRI subject level: seed spheres, denoising, seed maps (numbers checked against scipy's pearsonr
and against the connectivity planted by the synthetic generator)."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import BIN, run
from trialmri.atlas import sphere_mask
from trialmri.fc.netcorr import netcorr
from trialmri.fc.seeds import count_in_mask, roi_label_map
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv
from trialmri.synth.design import SEEDS

def pearson_reference(series: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The plain reference: scipy.stats.pearsonr of the seed series with each voxel, one at a time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)  # constant voxels: NaN, compared apart
        return np.array([stats.pearsonr(series, data[:, v])[0] for v in range(data.shape[1])])


def test_seed_maps_equal_per_voxel_pearsonr():
    rng = np.random.default_rng(0)
    n_t, n_v = 60, 400
    data = rng.normal(size=(n_t, n_v)) + 0.5 * rng.normal(size=(n_t, 1))  # shared part: r far from 0
    data *= rng.uniform(0.5, 50, n_v)  # very different voxel scales
    labels = np.zeros(n_v, int)
    labels[:5], labels[10:13], labels[200:210] = 1, 2, 7
    result = netcorr(data.astype(np.float32), labels, [1, 2, 7], ["a", "b", "c"])
    for k, lab in enumerate([1, 2, 7]):
        series = data[:, labels == lab].mean(axis=1)
        ref = pearson_reference(series, data)
        np.testing.assert_allclose(result.r[k], ref, atol=1e-6)
        np.testing.assert_allclose(result.z[k], np.arctanh(np.clip(ref, -0.999329, 0.999329)), atol=1e-5)
    assert result.roi_r[0, 1] == pytest.approx(stats.pearsonr(data[:, :5].mean(1), data[:, 10:13].mean(1))[0],
                                               abs=1e-6)


def test_netcorr_program_writes_the_contract_files(tmp_path):
    rng = np.random.default_rng(1)
    shape, n_t = (6, 7, 5), 40
    data = rng.normal(size=(*shape, n_t)).astype(np.float32)
    data[0, 0, 0] = 3.0  # constant voxel: excluded, z = 0
    labels = np.zeros(shape, np.int16)
    labels[1:3, 1:3, 1] = 4
    labels[4, 5, 3] = 9
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    save_nifti(tmp_path / "bold.nii.gz", data, affine, tr_s=2.0)
    save_nifti(tmp_path / "rois.nii.gz", labels, affine, np.int16)
    run([BIN / "trialmri", "netcorr", "--input", tmp_path / "bold.nii.gz", "--rois", tmp_path / "rois.nii.gz",
         "--out-prefix", tmp_path / "out" / "P"])
    z4 = np.asarray(nib.load(tmp_path / "out" / "P_roi-4_z.nii.gz").dataobj)
    flat = data.reshape(-1, n_t).T
    ref = pearson_reference(data[labels == 4].mean(axis=0), flat)
    varies = flat.std(axis=0) > 0
    np.testing.assert_allclose(z4.ravel()[varies], np.arctanh(np.clip(ref[varies], -0.999329, 0.999329)),
                               atol=1e-5)
    assert z4[0, 0, 0] == 0
    table = read_tsv(tmp_path / "out" / "P_netcc.tsv")
    assert list(table.columns) == ["stat", "roi", "4", "9"] and list(table["stat"]) == ["r", "r", "z", "z"]
    # names from a BIDS dseg-style sidecar table
    write_tsv(tmp_path / "rois.tsv", pd.DataFrame({"index": [4, 9], "name": ["VS", "V1"]}))
    run([BIN / "trialmri", "netcorr", "--input", tmp_path / "bold.nii.gz", "--rois", tmp_path / "rois.nii.gz",
         "--out-prefix", tmp_path / "named"])
    assert (tmp_path / "named_roi-VS_z.nii.gz").exists() and (tmp_path / "named_roi-V1_z.nii.gz").exists()
    bad = run([BIN / "trialmri", "netcorr", "--input", tmp_path / "rois.nii.gz", "--rois", tmp_path / "rois.nii.gz",
               "--out-prefix", tmp_path / "x"], check=False)
    assert bad.returncode == 2 and "4-D" in bad.stderr and "rois.nii.gz" in bad.stderr


def test_spheres_union_counts_and_errors():
    grid = Grid.covering((-40, -40, -40), (40, 40, 40), 2.0)
    labels, table = roi_label_map({"A": [(-10, 0, 0), (10, 0, 0)], "B": [(0, 20, 0)]}, 3.5, grid)
    one = int(sphere_mask((-10, 0, 0), 3.5, grid).sum())
    assert one == 27  # centre, 6 face, 12 edge, 8 corner neighbours: 2 mm x sqrt(3) = 3.46 <= 3.5 mm
    assert table.set_index("name").loc["A", "voxels"] == 2 * one and (labels == 1).sum() == 2 * one
    assert list(table["index"]) == [1, 2]
    with pytest.raises(ValueError, match="B overlaps ROI A"):
        roi_label_map({"A": [(0, 0, 0)], "B": [(2, 0, 0)]}, 3.5, grid)
    with pytest.raises(ValueError, match="holds no voxel"):
        roi_label_map({"A": [(0, 0, 200)]}, 3.5, grid)
    mask = np.ones(grid.shape, bool)
    mask[:, grid.shape[1] // 2 + 5:, :] = False  # B outside the mask
    with pytest.raises(ValueError, match="ROI B has 0 voxel"):
        count_in_mask(labels, table, mask, 1)
    coarse = Grid.covering((-40, -40, -40), (40, 40, 40), (3.75, 3.75, 3.5))
    labels, table = roi_label_map({"VS": SEEDS["VS"]}, 3.5, coarse)
    with pytest.warns(UserWarning, match="not much larger than a voxel"):
        count_in_mask(labels, table, np.ones(coarse.shape, bool), 1)
