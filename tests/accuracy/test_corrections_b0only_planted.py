"""Native corrections with the reverse phase encoding as a b0-only series (fmap/ layout) against
planted truth, beside the full-PA layout on the same session.

The noisy tiny-preset session of test_corrections_planted (seed 3, 4 mm, 2 b0 + 12 directions per
series, planted field, motion, eddy currents, Rician noise). The b0-only layout keeps the AP DWI
series and only the PA series' b0 volumes (what a lab's ``fmap/*_dir-PA_epi`` holds). Both layouts
must recover the planted field (r >= 0.95) and the AP motion (<= 0.3 mm and degrees), the tolerances
of test_corrections_planted; the MD fitted to each corrected DWI must match the planted MD (sampled
onto the DWI grid) as closely in both layouts.
"""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from test_corrections_planted import _object, _session

from trialmri import transforms
from trialmri.dwi.corrections import correct_session
from trialmri.dwi.gradients import is_b0
from trialmri.dwi.tensor import fit_wls
from trialmri.grids import sample_at_voxels, world_to_voxel

MD_TOLERANCE = 0.03  # median MD in tissue, fraction of planted (test_dti_accuracy's distorted tolerance)
MD_LAYOUT_TOLERANCE = 0.01  # the b0-only layout's median MD error may exceed the full layout's by this


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("b0only")
    bids, _, named, full = _session(root / "noisy", noise=True)  # the full-PA layout, as that test runs it
    truth = json.loads((bids / "truth.json").read_text())["dti"]
    (_, info), = truth["subjects"].items()
    pa = nib.load(named["PA"][0])
    b0s = is_b0(np.loadtxt(named["PA"][1]))
    epi = root / "dir-PA_epi.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(pa.dataobj)[..., b0s], pa.affine, pa.header), epi)
    b0_only = {"AP": named["AP"], "PA": (str(epi), None, None, named["PA"][3])}
    return bids, truth, info, {"full": full, "b0only": correct_session(b0_only)}


def test_b0_only_layout_corrects_the_ap_series_alone(layouts):
    _, _, _, results = layouts
    full, b0only = results["full"], results["b0only"]
    assert b0only.field_only == ["PA"] and full.field_only == []
    assert b0only.dwi.shape == full.dwi.shape  # 14 AP volumes (the full layout averages AP/PA pairs)
    assert set(b0only.parameters.series) == {"AP"} and len(b0only.parameters) == b0only.dwi.shape[-1]
    assert "AP series alone" in b0only.combination and "b0-only" in b0only.combination
    assert set(b0only.b0_after) == {"AP", "PA"}


@pytest.mark.parametrize("layout", ["full", "b0only"])
def test_field_correlates_with_planted(layouts, layout):
    bids, _, info, results = layouts
    result = results[layout]
    field = nib.load(bids / info["sessions"]["pre"]["field_hz"]).get_fdata()
    inside = _object(result)
    r = np.corrcoef(result.field.field_hz[inside], field[inside])[0, 1]
    print(f"{layout}: field r = {r:.4f}; b0 mismatch {result.field.mismatch_before:.1f} -> "
          f"{result.field.mismatch_after:.1f}")
    assert r >= 0.95
    assert result.field.mismatch_after <= 0.3 * result.field.mismatch_before


@pytest.mark.parametrize("layout", ["full", "b0only"])
def test_ap_motion_within_0p3_mm_and_degrees(layouts, layout):
    _, _, info, results = layouts
    motion = np.array(info["sessions"]["pre"]["series"]["AP"]["motion"])
    est = results[layout].parameters
    est = est[est.series == "AP"]
    trans = est[["trans_x", "trans_y", "trans_z"]].to_numpy() - motion[:, :3]
    rot = est[["rot_x", "rot_y", "rot_z"]].to_numpy() - np.rad2deg(motion[:, 3:])
    print(layout, np.abs(trans).mean(0).round(3), np.abs(rot).mean(0).round(3))
    assert np.abs(trans).mean(0).max() <= 0.3 and np.abs(rot).mean(0).max() <= 0.3


def _planted_md_on_dwi_grid(bids, truth, info, shape):
    """The planted MD map (MNI truth grid) at the DWI voxels of the head at rest (volume 0's pose)."""
    session = info["sessions"]["pre"]
    grid_affine = np.array(session["dwi_grid_affine"])
    mni_to_scanner = np.array(session["head_to_scanner"]) @ np.array(info["mni_to_head"])
    md_truth = nib.load(bids / session["md_mni"]).get_fdata()
    world = transforms.apply(grid_affine, np.indices(shape, dtype=np.float64))
    mni = transforms.apply(np.linalg.inv(mni_to_scanner), world)
    return sample_at_voxels(md_truth, world_to_voxel(np.array(truth["truth_grid"]["affine"]), mni))


def test_md_matches_planted_in_both_layouts(layouts):
    bids, truth, info, results = layouts
    planted = _planted_md_on_dwi_grid(bids, truth, info, results["full"].dwi.shape[:3])
    # tissue away from CSF and the brain's edge, where 4 mm partial volume dominates
    tissue = ndimage.binary_erosion((planted > 0.5e-3) & (planted < 1.0e-3), iterations=1)
    errors = {}
    for layout, result in results.items():
        md = fit_wls(result.dwi, result.bvals, result.bvecs, tissue).md
        ratio = md[tissue] / planted[tissue]
        errors[layout] = (abs(float(np.median(ratio)) - 1), float(np.median(np.abs(ratio - 1))))
    print({k: f"median MD off {100 * e[0]:.2f} %, median |voxel error| {100 * e[1]:.1f} %"
           for k, e in errors.items()}, f"({tissue.sum()} voxels)")
    for layout, (median_error, _) in errors.items():
        assert median_error <= MD_TOLERANCE, layout
    assert errors["b0only"][0] <= errors["full"][0] + MD_LAYOUT_TOLERANCE
