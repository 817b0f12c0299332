"""FSL engine: command lines against FSL's documented syntax, and the DAG it plans (dry run).

FSL cannot be installed here, so the commands are checked against the tools' usage, transcribed
below from FSL 6.0 (``dtifit``, ``flirt``, ``applywarp`` usage messages; ``fsl_reg`` as
``tbss_2_reg`` calls it: ``fsl_reg <in> <ref> <out> -e -FA``).
"""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import BIN, ROOT, run

from trialmri.dwi import fsl_commands as FSL

# tool: (compulsory options, every documented option)
DTIFIT = ({"--data", "--out", "--mask", "--bvecs", "--bvals"},
          {"--data", "--out", "--mask", "--bvecs", "--bvals", "--verbose", "--cni", "--sse", "--wls",
           "--kurt", "--kurtdir", "--littlebit", "--save_tensor", "--gradnonlin"})
FLIRT = ({"-in", "-ref"}, {"-in", "-ref", "-out", "-omat", "-dof", "-init", "-applyxfm", "-cost", "-interp"})
APPLYWARP = ({"--in", "--ref", "--out"},
             {"--in", "--ref", "--out", "--warp", "--premat", "--postmat", "--interp", "--mask", "--abs",
              "--rel", "--super", "--datatype"})
INTERP = {"nn", "trilinear", "sinc", "spline"}


def long_options(words: list[str]) -> dict[str, str]:
    """``--key=value`` words as {--key: value} (FSL's long form always joins with '=')."""
    return dict(w.split("=", 1) if "=" in w else (w, "") for w in words if w.startswith("--"))


def test_dtifit_is_wls_with_every_compulsory_option():
    words = shlex.split(FSL.dtifit("dwi.nii.gz", "mask.nii.gz", "dwi.bval", "dwi.bvec", "out/dti"))
    assert words[0] == "dtifit"
    options = long_options(words[1:])
    compulsory, documented = DTIFIT
    assert compulsory <= set(options) <= documented
    assert options["--wls"] == "" and options["--bvecs"] == "dwi.bvec" and options["--bvals"] == "dwi.bval"
    assert all(w.startswith("--") for w in words[1:]), "dtifit takes no positional arguments"


def test_tensor_outputs_follow_dtifit_names():
    cmd = FSL.tensor_outputs("p", "md.nii.gz", "fa.nii.gz", "ad.nii.gz", "rd.nii.gz")
    steps = [shlex.split(s) for s in cmd.split(" && ")]
    assert steps[0] == ["fslmaths", "p_MD", "md.nii.gz"] and steps[1] == ["fslmaths", "p_FA", "fa.nii.gz"]
    assert steps[2] == ["fslmaths", "p_L1", "ad.nii.gz"]
    assert steps[3] == ["fslmaths", "p_L2", "-add", "p_L3", "-div", "2", "rd.nii.gz"]


def test_flirt_is_six_dof_with_a_matrix_out():
    words = shlex.split(FSL.flirt_rigid("post_fa.nii.gz", "pre_fa.nii.gz", "post_to_pre.mat"))
    assert words[0] == "flirt"
    pairs = dict(zip(words[1::2], words[2::2]))
    compulsory, documented = FLIRT
    assert compulsory <= set(pairs) <= documented
    assert pairs == {"-in": "post_fa.nii.gz", "-ref": "pre_fa.nii.gz", "-omat": "post_to_pre.mat", "-dof": "6"}


def test_fsl_reg_registers_fa_to_fmrib58_as_tbss_does():
    words = FSL.fsl_reg_fa("fa.nii.gz", "out/fa_to_mni").split()
    assert words == ["fsl_reg", "fa.nii.gz", "$FSLDIR/data/standard/FMRIB58_FA_1mm", "out/fa_to_mni", "-e", "-FA"]


@pytest.mark.parametrize("premat", [None, "post_to_pre.mat"])
@pytest.mark.parametrize("resolution", [1, 2])
def test_applywarp_resamples_once_through_premat_and_warp(premat, resolution):
    words = FSL.applywarp("md.nii.gz", "warp.nii.gz", "md_mni.nii.gz", resolution, premat).split()
    assert words[0] == "applywarp"
    options = long_options(words[1:])
    compulsory, documented = APPLYWARP
    assert compulsory <= set(options) <= documented
    assert options["--interp"] in INTERP and options["--warp"] == "warp.nii.gz"
    assert options.get("--premat") == premat
    assert options["--ref"] == FSL.TEMPLATE_GRID[resolution]


def test_placeholders_and_fsldir_survive_for_snakemake():
    cmd = FSL.applywarp("{input.md}", "{input.warp}", "{output.md}", 2, "{input.premat}")
    assert "{input.md}" in cmd and "$FSLDIR/data/standard/MNI152_T1_2mm" in cmd and "'" not in cmd


@pytest.mark.workflow
def test_dry_run_with_fsl_engines_plans_the_fsl_chain(tiny_bids, tmp_path):
    (tmp_path / "config.yaml").write_text(
        f"bids_dir: {tiny_bids}\noutput_dir: {tmp_path / 'results'}\n"
        "dti:\n  engines:\n    tensor: fsl\n    registration: fsl\n")
    out = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", tmp_path, "--configfile",
               tmp_path / "config.yaml", "-n", "-p"]).stdout
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.M))
    n_sub = 8
    assert counts["fit_tensor"] == str(2 * n_sub) and counts["register_fa_to_template"] == str(n_sub)
    assert counts["register_sessions"] == str(n_sub) and counts["warp_dti_to_template"] == str(2 * n_sub)
    assert "register_t1w_to_template" not in counts and "register_dwi_to_t1w" not in counts
    assert re.search(r"dtifit --data=\S+sub-d01_ses-pre_desc-preproc_dwi.nii.gz --out=\S+ --mask=\S+ "
                     r"--bvecs=\S+\.bvec --bvals=\S+\.bval --wls", out)
    assert re.search(r"flirt -in \S+ses-post_space-dwi_param-fa_dwimap.nii.gz -ref \S+ses-pre_space-dwi_"
                     r"param-fa_dwimap.nii.gz -omat \S+ -dof 6", out)
    assert re.search(r"fsl_reg \S+ses-pre_space-dwi_param-fa_dwimap.nii.gz \$FSLDIR/data/standard/"
                     r"FMRIB58_FA_1mm \S+ -e -FA", out)
    post = re.search(r"applywarp --in=\S+sub-d01_ses-post_space-dwi_param-md_dwimap.nii.gz .*", out).group(0)
    assert "--premat=" in post and "space-MNI152NLin6Asym_res-2_param-md" in post
    pre = re.search(r"applywarp --in=\S+sub-d01_ses-pre_space-dwi_param-md_dwimap.nii.gz .*", out).group(0)
    assert "--premat=" not in pre
    lint = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", tmp_path, "--configfile",
                tmp_path / "config.yaml", "--lint"])
    assert "Congratulations" in lint.stdout + lint.stderr
