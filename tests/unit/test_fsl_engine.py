"""FSL engine: command lines against FSL's documented syntax, and the DAG it plans (dry run).

FSL cannot be installed here, so the commands are checked against the tools' usage, transcribed
below from FSL 6.0 (``dtifit``, ``flirt``, ``applywarp`` usage messages; ``fsl_reg`` as
``tbss_2_reg`` calls it: ``fsl_reg <in> <ref> <out> -e -FA``).
"""

from __future__ import annotations

import re
import shlex

import pytest

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


def plain(cmd: str) -> list[str]:
    """The words of ``cmd`` with Snakemake's :q (shell-quote) marks taken off the placeholders,
    after checking every placeholder has one (a path with spaces stays one word)."""
    assert not re.search(r"\{[\w.]+\}", cmd), f"placeholder without :q in {cmd!r}"
    return cmd.replace(":q}", "}").split()


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
    # each placeholder shell-quoted by Snakemake (:q), $FSLDIR left for the container's shell
    assert "--in={input.md:q}" in cmd and "--premat={input.premat:q}" in cmd
    assert "--ref=$FSLDIR/data/standard/MNI152_T1_2mm" in cmd and "'" not in cmd


# Distortion / motion / eddy steps, against the FSL 6.0 usage messages (topup, applytopup, eddy,
# mcflirt, fslselectvols: ``fslselectvols -i <in> -o <out> --vols=<list>``; fslmerge:
# ``fslmerge <-x/y/z/t/a/tr> <output> <file1 file2 ...>``).
TOPUP = ({"--imain", "--datain"},
         {"--imain", "--datain", "--out", "--fout", "--iout", "--logout", "--warpres", "--subsamp", "--fwhm",
          "--config", "--miter", "--lambda", "--ssqlambda", "--regmod", "--estmov", "--minmet",
          "--splineorder", "--numprec", "--interp", "--scale", "--regrid", "--verbose"})
APPLYTOPUP = ({"--imain", "--datain", "--inindex", "--topup", "--out"},
              {"--imain", "--datain", "--inindex", "--topup", "--out", "--method", "--interp", "--datatype",
               "--verbose"})
EDDY = ({"--imain", "--mask", "--index", "--acqp", "--bvecs", "--bvals", "--out"},
        {"--imain", "--mask", "--index", "--acqp", "--bvecs", "--bvals", "--out", "--topup", "--field",
         "--field_mat", "--flm", "--slm", "--fwhm", "--niter", "--fep", "--interp", "--resamp", "--nvoxhp",
         "--initrand", "--ff", "--repol", "--ol_nstd", "--ol_nvox", "--ol_type", "--ol_pos", "--ol_sqr",
         "--mporder", "--slspec", "--json", "--mb", "--mb_offs", "--cnr_maps", "--residuals",
         "--estimate_move_by_susceptibility", "--dont_sep_offs_move", "--dont_peas", "--data_is_shelled",
         "--b0_only", "--nthr", "--verbose", "--very_verbose"})
MCFLIRT = ({"-in"}, {"-in", "-out", "-cost", "-bins", "-dof", "-refvol", "-scaling", "-smooth", "-rmsrel",
                     "-rmsabs", "-spline_final", "-sinc_final", "-nn_final", "-stages", "-init", "-mats",
                     "-plots", "-report", "-reffile", "-meanvol", "-stats", "-gdt", "-edge"})


def test_merge_b0s_concatenates_then_selects_volumes():
    cmd = FSL.merge_b0s(["{input.ap}", "{input.pa}"], [0, 7, 14, 21], "{output.dwi}", "{output.b0s}")
    merge, select = [plain(s) for s in cmd.split(" && ")]
    assert merge == ["fslmerge", "-t", "{output.dwi}", "{input.ap}", "{input.pa}"]
    assert select == ["fslselectvols", "-i", "{output.dwi}", "-o", "{output.b0s}", "--vols=0,7,14,21"]
    assert "'" not in cmd
    assert plain(FSL.select_vols("d", "{params.vols}", "b0"))[-1] == "--vols={params.vols}"


def test_topup_uses_b02b0_and_names_every_output():
    words = plain(FSL.topup("{input.b0s}", "{input.datain}", "{params.prefix}", "{output.field}",
                            "{output.b0}"))
    assert words == ["topup", "--imain={input.b0s}", "--datain={input.datain}", "--config=b02b0.cnf",
                     "--out={params.prefix}", "--fout={output.field}", "--iout={output.b0}"]
    compulsory, documented = TOPUP
    assert compulsory <= set(long_options(words[1:])) <= documented


def test_applytopup_one_series_uses_the_jacobian_method():
    words = shlex.split(FSL.applytopup("b0.nii.gz", "datain.txt", 2, "out/topup", "b0_u.nii.gz"))
    options = long_options(words[1:])
    compulsory, documented = APPLYTOPUP
    assert words[0] == "applytopup" and compulsory <= set(options) <= documented
    assert options["--inindex"] == "2" and options["--method"] == "jac" and options["--topup"] == "out/topup"


@pytest.mark.parametrize("repol", [True, False])
def test_eddy_has_every_required_option_and_threads(repol):
    words = plain(FSL.eddy("{input.dwi}", "{input.mask}", "{input.acqp}", "{input.index}", "{input.bvec}",
                           "{input.bval}", "{params.topup}", "{params.out}", "{threads}", repol=repol))
    assert words[0] == "eddy" and all(w.startswith("--") for w in words[1:])
    options = long_options(words[1:])
    compulsory, documented = EDDY
    assert compulsory <= set(options) <= documented
    assert options == {"--imain": "{input.dwi}", "--mask": "{input.mask}", "--index": "{input.index}",
                       "--acqp": "{input.acqp}", "--bvecs": "{input.bvec}", "--bvals": "{input.bval}",
                       "--out": "{params.out}", "--topup": "{params.topup}", "--nthr": "{threads}",
                       **({"--repol": ""} if repol else {})}
    assert long_options(FSL.eddy("d", "m", "a", "i", "bv", "bl", "t", "o", 4).split())["--nthr"] == "4"
    assert FSL.EDDY_MIN_FSL == "6.0.6"


def test_mcflirt_reports_b0_motion_as_par():
    words = plain(FSL.mcflirt("{input.b0s}", "{params.out}", 0))
    assert words == ["mcflirt", "-in", "{input.b0s}", "-out", "{params.out}", "-refvol", "0", "-plots"]
    compulsory, documented = MCFLIRT
    assert compulsory <= {w for w in words if w.startswith("-")} <= documented


def test_eddy_outputs_copy_to_our_names():
    cmd = FSL.eddy_outputs("{params.out}", "{input.bval}", "{output.dwi}", "{output.bvec}", "{output.bval}",
                           "{output.parameters}", "{output.outliers}")
    assert [plain(s) for s in cmd.split(" && ")] == [
        ["cp", "{params.out}.nii.gz", "{output.dwi}"],
        ["cp", "{params.out}.eddy_rotated_bvecs", "{output.bvec}"],
        ["cp", "{input.bval}", "{output.bval}"],
        ["cp", "{params.out}.eddy_parameters", "{output.parameters}"],
        ["cp", "{params.out}.eddy_outlier_map", "{output.outliers}"]]
