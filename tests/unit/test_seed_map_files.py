"""One session's seed maps from files (trialmri.fc.seed_map_files): the sidecar says how, the z map
of an ROI's own voxels is high, an excluded session gets NaN maps, too small an ROI is an error."""

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.fc.seed_map_files import write_session_seed_maps
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])


def session(tmp_path, excluded=None, roi_b_voxels=8):
    rng = np.random.default_rng(0)
    bold = rng.normal(size=(4, 4, 4, 30)).astype(np.float32)
    labels = np.zeros((4, 4, 4), np.int16)
    labels[0, :2, :] = 1  # 8 voxels
    labels.flat[np.flatnonzero(labels == 0)[-roi_b_voxels:]] = 2
    bold[labels == 1] += 3 * rng.normal(size=30)  # ROI a's voxels share one signal
    save_nifti(tmp_path / "bold.nii.gz", bold, AFFINE, tr_s=2.0)
    save_nifti(tmp_path / "labels.nii.gz", labels, AFFINE, np.int16)  # its ROI table: labels.tsv
    save_nifti(tmp_path / "mask.nii.gz", np.ones((4, 4, 4)), AFFINE, np.uint8)
    (tmp_path / "denoised.json").write_text(json.dumps({"Excluded": excluded}))
    write_tsv(tmp_path / "labels.tsv", pd.DataFrame({"name": ["a", "b"], "index": [1, 2],
                                                   "centres_mm": ["0,0,0", "9,9,9"]}))
    return [tmp_path / n for n in ("bold.nii.gz", "labels.nii.gz", "mask.nii.gz", "denoised.json", "labels.tsv")]


def run(tmp_path, **kw):
    z = [tmp_path / "za.nii.gz", tmp_path / "zb.nii.gz"]
    line = write_session_seed_maps(*session(tmp_path, **kw), ["a", "b"], 5, z, tmp_path / "netcc.tsv",
                                   tmp_path / "sidecar.json", "sub-01 ses-ket")
    return line, z, json.loads((tmp_path / "sidecar.json").read_text())


def test_maps_of_a_used_session_and_their_sidecar(tmp_path):
    line, z, sidecar = run(tmp_path)
    za = np.asarray(nib.load(z[0]).dataobj)
    labels = np.asarray(nib.load(tmp_path / "labels.nii.gz").dataobj)
    assert za[labels == 1].mean() > 1 and abs(za[labels == 0].mean()) < 0.5
    assert sidecar["Engine"] == "native" and sidecar["Excluded"] is None and sidecar["VolumesUsed"] == 30
    assert sidecar["ROIVoxelsInMask"] == {"a": 8, "b": 8}
    assert line.startswith("sub-01 ses-ket: 2 z maps from 30 volumes, 64 voxels")
    assert list(read_tsv(tmp_path / "netcc.tsv").stat) == ["r", "r", "z", "z"]


def test_an_excluded_session_gets_nan_maps_and_its_reason(tmp_path):
    line, z, sidecar = run(tmp_path, excluded="too few volumes")
    assert np.isnan(np.asarray(nib.load(z[1]).dataobj)).all()
    assert sidecar["Excluded"] == "too few volumes" and "VolumesUsed" not in sidecar
    assert line == "sub-01 ses-ket: excluded (too few volumes); maps are NaN"


def test_an_roi_below_min_voxels_is_an_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="sub-01 ses-ket: ROI b has 3 voxel"):
        run(tmp_path, roi_b_voxels=3)
