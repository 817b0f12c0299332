"""Seed and control ROIs on a BOLD grid from files (trialmri.fc.seed_roi_files): label map on the
reference grid, voxels inside the template brain, an ROI outside the brain is an error."""

import nibabel as nib
import numpy as np
import pytest

from trialmri.fc.seed_roi_files import write_seed_rois
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.tables import read_tsv

GRID = Grid.covering((-60, -80, -50), (60, 60, 70), 4.0)


def files(tmp_path):
    save_nifti(tmp_path / "bold.nii.gz", np.zeros((*GRID.shape, 2)), GRID.affine, tr_s=2.0)
    save_nifti(tmp_path / "template.nii.gz", np.ones(GRID.shape), GRID.affine)
    return tmp_path / "bold.nii.gz", tmp_path / "template.nii.gz"


def test_write_seed_rois_on_the_bold_grid_with_voxels_in_the_template_brain(tmp_path):
    table = write_seed_rois({"A": [(-10, 20, 0)], "V1": [(0, -70, 5)]}, 6.0, 5, *files(tmp_path),
                            tmp_path / "labels.nii.gz", tmp_path / "labels.tsv", tmp_path / "rois.png")
    labels = nib.load(tmp_path / "labels.nii.gz")
    assert labels.shape == GRID.shape and np.allclose(labels.affine, GRID.affine)
    assert set(np.unique(np.asarray(labels.dataobj))) == {0, 1, 2}
    assert list(read_tsv(tmp_path / "labels.tsv").name) == ["A", "V1"]
    assert (table.voxels_in_template_brain >= 5).all() and (table.voxels_in_template_brain <= table.voxels).all()
    assert (tmp_path / "rois.png").stat().st_size > 0


def test_an_roi_outside_the_template_brain_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="MNI template brain: ROI out has 0 voxel"):
        write_seed_rois({"out": [(56, 56, -46)]}, 4.0, 1, *files(tmp_path), tmp_path / "l.nii.gz",
                        tmp_path / "l.tsv", tmp_path / "l.png")


def test_plot_seed_maps_one_figure_per_roi(tmp_path):
    from trialmri.fc.seed_roi_files import plot_seed_maps

    _, template = files(tmp_path)
    z = []
    for k in range(2):
        z.append(tmp_path / f"z{k}.nii.gz")
        save_nifti(z[-1], np.random.default_rng(k).normal(size=GRID.shape), GRID.affine)
    pngs = [tmp_path / "a.png", tmp_path / "b.png"]
    plot_seed_maps(["A", "B"], z, {"A": [(0, 0, 0)], "B": [(10, 10, 10), (-10, 10, 10)]}, template, pngs,
                   "sub-01 ses-a")
    assert all(p.stat().st_size > 5_000 for p in pngs)
