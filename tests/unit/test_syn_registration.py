"""T1w -> template registration (trialmri.dwi.registration): the masked T1w SyN sees, and affine +
SyN on a 4 mm template and a T1w made from it through a planted affine: the transforms recover the
planted one and the same inputs give the same bytes."""

from __future__ import annotations

import filecmp

import nibabel as nib
import numpy as np
import pytest

from trialmri import transforms
from trialmri.dwi import registration as reg
from trialmri.grids import Grid, sample
from trialmri.io import save_nifti
from trialmri.templates import mni_grid, mni_on_grid

# MNI mm -> T1w mm: a few degrees, 3 % larger, a few mm off
PLANTED = transforms.affine(np.deg2rad([3.0, -2.0, 2.0]), [4.0, -3.0, 2.0], scale=[1.03, 0.98, 1.02])


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """4 mm template, the T1w (4 mm) showing it through PLANTED, its brain mask and an identity
    DWI -> T1w transform."""
    root = tmp_path_factory.mktemp("syn")
    grid = mni_grid(4.0)
    maps = mni_on_grid(grid)
    save_nifti(root / "template.nii.gz", maps["t1"], grid.affine)
    t1_grid = Grid.centred((48, 56, 48), 4.0, PLANTED[:3, 3] + [0.0, -18.0, 12.0], flip_x=True)
    mni = transforms.apply(np.linalg.inv(PLANTED), t1_grid.world(np.float64))
    save_nifti(root / "T1w.nii.gz", 1000.0 * sample(maps["t1"], grid.affine, mni), t1_grid.affine)
    save_nifti(root / "mask.nii.gz", sample(maps["brain"], grid.affine, mni) > 0.5, t1_grid.affine, np.uint8)
    ants = reg._ants()
    identity = ants.create_ants_transform(transform_type="AffineTransform", dimension=3)
    ants.write_transform(identity, str(root / "identity.mat"))
    return root


def _register(root, out, syn_iterations=(10, 0)):
    return reg.register_t1w_to_template(root / "T1w.nii.gz", root / "template.nii.gz", root / "mask.nii.gz",
                                        root / "identity.mat", out / "affine.mat", out / "warp.nii.gz",
                                        syn_iterations=syn_iterations)


def _mapped(root, transform_files):
    """Template brain voxels (MNI mm, 3 x n) and where ``transform_files`` send them (T1w mm):
    resampled RAS coordinate images (trilinear, exact for a linear function)."""
    ants = reg._ants()
    template = ants.image_read(str(root / "template.nii.gz"))
    t1w = nib.load(root / "T1w.nii.gz")
    ijk = np.indices(t1w.shape, np.float64).reshape(3, -1)
    world = (t1w.affine[:3, :3] @ ijk + t1w.affine[:3, 3:4]).reshape(3, *t1w.shape)
    moving = ants.image_read(str(root / "T1w.nii.gz"))
    mapped = np.stack([ants.apply_transforms(template, moving.new_image_like(c.astype(np.float32)),
                                             [str(t) for t in transform_files]).numpy() for c in world])
    tpl = nib.load(root / "template.nii.gz")
    brain = mni_on_grid(mni_grid(4.0))["brain"] > 0.5
    tijk = np.argwhere(brain).T.astype(float)
    return tpl.affine[:3, :3] @ tijk + tpl.affine[:3, 3:4], mapped[:, brain]


def test_t1w_brain_keeps_the_mask_dilated_by_8_mm(tmp_path):
    """A one-voxel mask on a 1 mm grid: the T1w is kept within 8 mm of it (in mm, whatever the
    voxel size) and zeroed beyond."""
    ants = reg._ants()
    affine = np.diag([1.0, 2.0, 1.0, 1.0])  # anisotropic: the distance is in mm, not voxels
    mask = np.zeros((41, 21, 41), np.uint8)
    mask[20, 10, 20] = 1
    save_nifti(tmp_path / "t1w.nii.gz", np.full(mask.shape, 7.0, np.float32), affine)
    save_nifti(tmp_path / "mask.nii.gz", mask, affine, np.uint8)
    identity = ants.create_ants_transform(transform_type="AffineTransform", dimension=3)
    ants.write_transform(identity, str(tmp_path / "identity.mat"))
    t1w = ants.image_read(str(tmp_path / "t1w.nii.gz"))
    brain = reg._t1w_brain(ants, t1w, tmp_path / "mask.nii.gz", tmp_path / "identity.mat").numpy()
    assert brain[20, 10, 28] == 7.0 and brain[20, 10, 29] == 0.0  # 8 mm kept, 9 mm not (1 mm voxels)
    assert brain[20, 14, 20] == 7.0 and brain[20, 15, 20] == 0.0  # 8 mm kept, 10 mm not (2 mm voxels)
    assert set(np.unique(brain)) == {0.0, 7.0}


def test_default_syn_refines_at_the_template_voxel_size():
    """Without a full-resolution level (ANTsPy's (40, 20, 0)) the ROI-mean MD error on planted
    warps reaches ~2 % (bench/syn_speed.py, issue 28)."""
    assert reg.SYN_ITERATIONS[-1] > 0


def test_t1w_to_template_writes_warp_then_affine_and_is_reproducible(pair, tmp_path):
    first = _register(pair, tmp_path / "a")
    again = _register(pair, tmp_path / "b")
    assert first == [str(tmp_path / "a" / "warp.nii.gz"), str(tmp_path / "a" / "affine.mat")]
    assert all(filecmp.cmp(x, y, shallow=False) for x, y in zip(first, again))
    warp = nib.load(first[0])
    assert warp.shape[:3] == nib.load(pair / "template.nii.gz").shape and warp.shape[-1] == 3
    mni, ours = _mapped(pair, first)
    error = np.linalg.norm(ours - transforms.apply(PLANTED, mni), axis=0)
    assert np.median(error) < 1.0 and np.percentile(error, 95) < 3.0, (np.median(error), np.percentile(error, 95))
