"""AFNI engine of the cluster step: the 3dFWHMx and 3dClustSim command lines, their outputs read
into the native JSON, and a dry run with ``engines.fwhmx/clustsim: afni``."""

from __future__ import annotations

import json

import pytest

from trialmri.cli import main
from trialmri.clusters import afni_commands as AFNI, afni_outputs as AFNI_OUT

# 3dFWHMx -ShowMeClassicFWHM -acf stdout, as AFNI prints it (comment lines, two lines of four numbers)
FWHMX_STDOUT = """# old-style FWHM parameters
 5.3901  5.41111  5.6564     5.48455
# ACF model parameters for a*exp(-r*r/(2*b*b))+(1-a)*exp(-r/c) plus effective FWHM
 0.0603753  6.5946  8.09281    11.598
"""

# one of 3dClustSim's nine tables (prefix.NN1_2sided.1D)
CLUSTSIM_TABLE = """# 3dClustSim -acf 0.7 3 10 -mask mask+tlrc -pthr 0.01 0.005 -athr 0.05 0.01
# 2-sided thresholding
# Grid: 64x76x64 3.00x3.00x3.00 mm^3 (65239 voxels in mask)
#
# CLUSTER SIZE THRESHOLD(pthr,alpha) in Voxels
# -NN 1  | alpha = Prob(Cluster >= given size)
#  pthr  | .05000 .01000
# ------ | ------ ------
 0.010000    76.6   103.2
 0.005000    52.8    72.0
"""


def test_3dfwhmx_command_line():
    cmd = AFNI.fwhmx_command("{input.resid:q}", "{input.mask:q}", "{output.acf_1d:q}", "{output.stdout:q}")
    assert cmd == ("3dFWHMx -ShowMeClassicFWHM -acf {output.acf_1d:q} -mask {input.mask:q} "
                   "-input {input.resid:q} > {output.stdout:q}")
    assert AFNI.fwhmx_command("my resid.nii.gz", "m.nii", "a.1D", "o.txt").startswith(
        "3dFWHMx -ShowMeClassicFWHM -acf a.1D -mask m.nii -input 'my resid.nii.gz'")


def test_3dclustsim_command_line_reads_the_acf_words_file():
    cmd = AFNI.clustsim_command("{input.mask:q}", "{input.words:q}", [0.01, 0.005], [0.05, 0.01], 10000, 7,
                                "{params.prefix:q}")
    assert cmd == ("3dClustSim -mask {input.mask:q} -acf $(cat {input.words:q}) -pthr 0.01 0.005 "
                   "-athr 0.05 0.01 -iter 10000 -seed 7 -prefix {params.prefix:q}")


def test_3dfwhmx_stdout_read(tmp_path):
    (tmp_path / "out.txt").write_text(FWHMX_STDOUT)
    out = AFNI_OUT.read_fwhmx_stdout(tmp_path / "out.txt")
    assert out["acf"] == [0.0603753, 6.5946, 8.09281] and out["acf_fwhm_mm"] == 11.598
    assert out["fwhm_xyz_mm"] == [5.3901, 5.41111, 5.6564]
    (tmp_path / "bad.txt").write_text("# only comments\n 0 0 0 0\n")
    with pytest.raises(ValueError, match="two lines of 4 numbers"):
        AFNI_OUT.read_fwhmx_stdout(tmp_path / "bad.txt")


def test_3dclustsim_tables_read_and_our_tables_round_trip(tmp_path):
    (tmp_path / "t.1D").write_text(CLUSTSIM_TABLE)
    assert AFNI_OUT.read_clustsim_table(tmp_path / "t.1D") == {"0.01": {"0.05": 76.6, "0.01": 103.2},
                                                           "0.005": {"0.05": 52.8, "0.01": 72.0}}
    # our own tables are in the same layout: reading them back gives our JSON (to the printed 0.1)
    import nibabel as nib
    import numpy as np

    nib.save(nib.Nifti1Image(np.ones((12, 12, 12), np.uint8), np.eye(4) * [3, 3, 3, 1]), tmp_path / "m.nii.gz")
    assert main(["clustsim", "--mask", str(tmp_path / "m.nii.gz"), "--acf", "0.7", "3", "10", "--pthr", "0.01",
                 "0.005", "--athr", "0.05", "0.01", "--iter", "1000", "--out-prefix", str(tmp_path / "cs")]) == 0
    ours = json.loads((tmp_path / "cs.json").read_text())
    back = AFNI_OUT.read_clustsim_tables(tmp_path / "cs")
    for nn, by_side in back.items():
        for side, by_p in by_side.items():
            for p, by_a in by_p.items():
                for a, size in by_a.items():
                    assert size == pytest.approx(ours[nn][side][p][a], abs=0.051)
    (tmp_path / "cs.NN3_bisided.1D").unlink()
    with pytest.raises(FileNotFoundError, match="NN3_bisided"):
        AFNI_OUT.read_clustsim_tables(tmp_path / "cs")
