"""ROI masks from config: the same voxels as nilearn's nearest-neighbour resampling of the atlas,
the synthetic trial plants its change in the configured ROIs, an empty ROI names itself."""

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import yaml
from nilearn.image import resample_to_img

from trialmri.atlas import PROBABILISTIC, load_atlas
from trialmri.dwi.roi_md import roi_masks, roi_mean_md, roi_voxel_table
from trialmri.grids import Grid
from trialmri.synth.design import DTI_ROIS
from trialmri.templates import mni_grid

ROOT = Path(__file__).resolve().parents[2]
CONFIG_ROIS = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["dti"]["rois"]


def nilearn_mask(spec: dict, grid: Grid) -> np.ndarray:
    """The ROI by nilearn: atlas resampled to ``grid`` (nearest), then labels/threshold, then the
    hemisphere and limits on voxel-centre coordinates."""
    data, affine, index = load_atlas(spec["atlas"])  # the files as stored; nilearn does the sampling
    target = nib.Nifti1Image(np.zeros(grid.shape, np.float32), grid.affine)
    mask = np.zeros(grid.shape, bool)
    for label in spec["labels"]:
        volume = data[..., index[label]] if spec["atlas"] in PROBABILISTIC else data
        sampled = resample_to_img(nib.Nifti1Image(volume.astype(np.float32), affine), target,
                                  interpolation="nearest", force_resample=True, copy_header=True).get_fdata()
        mask |= sampled >= spec.get("threshold", 25) if spec["atlas"] in PROBABILISTIC else sampled == index[label]
    i, j, k = np.indices(grid.shape)
    xyz = np.einsum("ab,bijk->aijk", grid.affine[:3, :3], np.stack([i, j, k])) + grid.affine[:3, 3, None, None, None]
    if spec.get("hemisphere") == "left":
        mask &= xyz[0] < 0
    if spec.get("hemisphere") == "right":
        mask &= xyz[0] > 0
    for axis, (lo, hi) in (spec.get("limits_mm") or {}).items():
        c = xyz["xyz".index(axis)]
        mask &= (c >= lo if lo is not None else True) & (c <= hi if hi is not None else True)
    return mask


@pytest.mark.parametrize("voxel_mm", [2, 4])
def test_roi_masks_equal_nilearn_nearest_neighbour_resampling(voxel_mm):
    grid = mni_grid(voxel_mm)
    ours = roi_masks(CONFIG_ROIS, grid)
    for name, spec in CONFIG_ROIS.items():
        theirs = nilearn_mask(spec, grid)
        assert theirs.sum() > 0 and (ours[name] == theirs).all(), (name, voxel_mm, (ours[name] ^ theirs).sum())


def test_roi_table_counts_and_vacc_is_ventral_and_anterior():
    grid = mni_grid(2)
    masks = roi_masks(CONFIG_ROIS, grid)
    table = roi_voxel_table(masks, grid, CONFIG_ROIS).set_index("roi")
    assert (table["n_voxels"] == [int(m.sum()) for m in masks.values()]).all()
    assert table.loc["lba10", "x_mm"] < 0 < table.loc["rba10", "x_mm"]
    assert table.loc["vacc", "y_mm"] >= 20 and table.loc["vacc", "z_mm"] <= 10
    assert table.loc["lamygdala", "volume_mm3"] == table.loc["lamygdala", "n_voxels"] * 8


def test_synthetic_trial_plants_change_in_the_configured_rois():
    for name, spec in DTI_ROIS.items():
        assert {k: v for k, v in CONFIG_ROIS[name].items() if k != "label"} == spec


def test_empty_roi_is_an_error_naming_it():
    spec = {"far": {"atlas": "harvard_oxford", "labels": ["Left_Amygdala"], "limits_mm": {"z": [60, None]}}}
    with pytest.raises(ValueError, match="ROI 'far'.*no voxel.*dti.rois"):
        roi_masks(spec, mni_grid(4))


def test_roi_mean_md_ignores_nan_and_zero_and_reports_coverage(tmp_path):
    grid = Grid((4, 4, 4), np.eye(4))
    md = np.full(grid.shape, 1e-3)
    md[0, 0, 0], md[0, 0, 1] = np.nan, 0.0
    md[1, 1, 1] = 2e-3
    path = tmp_path / "md.nii.gz"
    nib.save(nib.Nifti1Image(md.astype(np.float32), grid.affine), path)
    mask = np.zeros(grid.shape, bool)
    mask[0, 0, :2] = mask[1, 1, 1] = mask[2, 2, 2] = True
    row = roi_mean_md(path, {"r": mask}, grid).iloc[0]
    assert row["n_voxels"] == 2 and row["coverage"] == 0.5 and row["md"] == pytest.approx(1.5, rel=1e-6)
    with pytest.raises(ValueError, match="not on the ROI masks' grid"):
        roi_mean_md(path, {"r": mask}, Grid((4, 4, 5), np.eye(4)))


def test_unknown_atlas_label_names_the_label_and_the_labels_file():
    spec = {"typo": {"atlas": "harvard_oxford", "labels": ["Left_Amygdale"]}}
    with pytest.raises(ValueError, match=r"atlas 'harvard_oxford' has no label\(s\) \['Left_Amygdale'\]; "
                                         r"see .*labels_harvard_oxford\.csv"):
        roi_masks(spec, mni_grid(4))
