"""The WLS tensor on real DWI (DIPY's small_64D) against MRtrix3's dwi2tensor (tests/fixtures/small_64D)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from helpers import BIN, run


FIXTURE = Path(__file__).parents[1] / "fixtures" / "small_64D"


def test_real_dwi_md_matches_mrtrix3(tmp_path):
    """DIPY's small_64D: our MD against MRtrix3 dwi2tensor + tensor2metric -adc (make_fixture.sh)."""
    dipy_data = pytest.importorskip("dipy.data")
    dwi, bval, _ = dipy_data.get_fnames(name="small_64D")
    prefix = tmp_path / "small"
    out = run([BIN / "trialmri", "tensor", "--dwi", dwi, "--bval", bval, "--bvec", FIXTURE / "small_64D.bvec",
               "--out-prefix", prefix])
    assert "fitted 1000 of 1000 voxels" in out.stdout
    ours = nib.load(f"{prefix}_md.nii.gz").get_fdata()
    mrtrix = nib.load(FIXTURE / "mrtrix_md.nii.gz").get_fdata()
    both = np.isfinite(ours) & (mrtrix != 0)
    assert both.sum() == 1000
    assert np.corrcoef(ours[both], mrtrix[both])[0, 1] >= 0.999
    for metric in ("fa", "ad", "rd"):
        assert Path(f"{prefix}_{metric}.nii.gz").exists()
    assert (tmp_path / "small_qc.tsv").read_text().startswith("dwi\tn_mask")
