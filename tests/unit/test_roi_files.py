"""DTI ROI steps and outlier tables from files (trialmri.dwi.roi_files) and the LME fit mask of the
cluster steps (trialmri.clusters.fit_mask), on small synthetic images with known values."""

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.clusters.fit_mask import write_fit_mask
from trialmri.dwi.roi_files import OUTLIER_COLUMNS, outlier_table, roi_md_table, write_outlier_tables
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

AFFINE = np.diag([2.0, 2.0, 2.0, 1.0])


def test_roi_md_table_means_each_roi_of_each_map_in_table_units(tmp_path):
    a = np.zeros((4, 4, 4), np.uint8)
    a[:2] = 1
    save_nifti(tmp_path / "a.nii.gz", a, AFFINE, np.uint8)
    save_nifti(tmp_path / "b.nii.gz", 1 - a, AFFINE, np.uint8)
    md = np.full((4, 4, 4), 0.0008)  # mm²/s
    md[2:] = 0.001
    md[3] = np.nan  # half of ROI b has no valid MD
    save_nifti(tmp_path / "md.nii.gz", md, AFFINE)
    table = roi_md_table([tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"], ["a", "b"],
                         [tmp_path / "md.nii.gz"] * 2, [("01", "pre"), ("01", "post")])
    assert list(table.columns) == ["subject", "session", "roi", "md", "n_voxels", "coverage"]
    assert list(table.session) == ["pre", "pre", "post", "post"]
    assert table.md.to_numpy() == pytest.approx([0.8, 1.0, 0.8, 1.0])  # 10⁻³ mm²/s
    assert list(table.coverage) == [1.0, 0.5, 1.0, 0.5]
    assert list(roi_md_table([tmp_path / "a.nii.gz"], ["a"], [], []).columns) == list(table.columns)


def test_outlier_tables_label_each_session_and_keep_the_columns(tmp_path):
    write_tsv(tmp_path / "s1.tsv", pd.DataFrame({"series": ["AP"], "volume": [3], "slice": [7], "z": [-5.5],
                                                 "drop": [0.4], "extra": [1]}))
    write_tsv(tmp_path / "s2.tsv", pd.DataFrame(columns=["series", "volume", "slice", "z", "drop"]))
    table = write_outlier_tables([tmp_path / "s1.tsv", tmp_path / "s2.tsv"], [("01", "pre"), ("01", "post")],
                                 tmp_path / "all.tsv", tmp_path / "all.html")
    assert list(table.columns) == OUTLIER_COLUMNS
    assert table.iloc[0][["subject", "session", "volume"]].tolist() == ["01", "pre", 3]
    assert len(read_tsv(tmp_path / "all.tsv")) == 1
    assert "1 outlier slice in 1 volume" in (tmp_path / "all.html").read_text()
    empty = outlier_table([], [])
    assert empty.empty and list(empty.columns) == OUTLIER_COLUMNS


def test_write_fit_mask_keeps_only_fitted_voxels(tmp_path):
    codes = np.zeros((3, 3, 3), np.uint8)
    codes[0] = 1  # fitted
    codes[1, 0] = 2  # all NaN
    codes[2, 0, 0] = 3  # NaN in some rows
    save_nifti(tmp_path / "fitmask.nii.gz", codes, AFFINE, np.uint8)
    assert write_fit_mask(tmp_path / "fitmask.nii.gz", tmp_path / "mask.nii.gz") == 9
    img = nib.load(tmp_path / "mask.nii.gz")
    assert img.get_data_dtype() == np.uint8 and np.allclose(img.affine, AFFINE)
    assert np.array_equal(np.asarray(img.dataobj), codes == 1)
