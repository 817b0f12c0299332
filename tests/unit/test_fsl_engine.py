"""FSL engine: command lines against the documented usage of the FSL in the pinned image.

FSL cannot run here, so every command the FSL rules run is checked against each program's options
in FSL 6.0.4 as the pinned image docker://brainlife/fsl:6.0.4-patched2 ships it, transcribed with
citations in tests/reference/fsl_6_0_4_usage.py; eddy's program and threading follow the FSL
version of the image's tag (eddy_openmp + OMP_NUM_THREADS before 6.0.6, eddy --nthr from 6.0.6).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from reference import fsl_6_0_4_usage as REF

from trialmri.dwi import fsl_commands as FSL

DTIFIT, FLIRT, APPLYWARP = REF.USAGE["dtifit"], REF.USAGE["flirt"], REF.USAGE["applywarp"]
INTERP = REF.APPLYWARP_INTERP
CONFIG = Path(__file__).resolve().parents[2] / "config"
SHELL = {"mkdir", "cp", "rm"}  # the chains' file handling, not FSL


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
TOPUP, APPLYTOPUP, MCFLIRT = REF.USAGE["topup"], REF.USAGE["applytopup"], REF.USAGE["mcflirt"]
PINNED = FSL.fsl_version(REF.IMAGE)


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
def test_eddy_openmp_in_the_pinned_fsl_has_every_required_option_and_omp_threads(repol):
    words = plain(FSL.eddy("{input.dwi}", "{input.mask}", "{input.acqp}", "{input.index}", "{input.bvec}",
                           "{input.bval}", "{params.topup}", "{params.out}", "{threads}", fsl_version=PINNED,
                           repol=repol))
    assert words[:2] == ["OMP_NUM_THREADS={threads}", "eddy_openmp"]
    assert all(w.startswith("--") for w in words[2:])
    options = long_options(words[2:])
    compulsory, documented = REF.USAGE["eddy_openmp"]
    assert compulsory <= set(options) <= documented and "--nthr" not in options
    assert options == {"--imain": "{input.dwi}", "--mask": "{input.mask}", "--index": "{input.index}",
                       "--acqp": "{input.acqp}", "--bvecs": "{input.bvec}", "--bvals": "{input.bval}",
                       "--out": "{params.out}", "--topup": "{params.topup}", **({"--repol": ""} if repol else {})}


@pytest.mark.parametrize("version", [(6, 0, 4), (6, 0, 5), (5, 0, 11)])
def test_fsl_before_6_0_6_runs_eddy_openmp_with_omp_num_threads(version):
    words = FSL.eddy("d", "m", "a", "i", "bv", "bl", "t", "o", 4, fsl_version=version).split()
    assert words[:2] == ["OMP_NUM_THREADS=4", "eddy_openmp"] and "eddy" not in words
    assert not any(w.startswith("--nthr") for w in words)


@pytest.mark.parametrize("tag", ["6.0.6", "6.0.7.4", "6.0.7.13-cuda", "6.1.0"])
def test_fsl_from_6_0_6_runs_eddy_with_nthr(tag):
    version = FSL.fsl_version(f"docker://example/fsl:{tag}")
    words = FSL.eddy("d", "m", "a", "i", "bv", "bl", "t", "o", 4, fsl_version=version).split()
    assert words[0] == "eddy" and long_options(words[1:])["--nthr"] == "4"
    assert not any("OMP_NUM_THREADS" in w or w == "eddy_openmp" for w in words)
    compulsory, documented = REF.EDDY_FROM_6_0_6
    assert compulsory <= set(long_options(words[1:])) <= documented
    assert FSL.EDDY_NTHR_FSL == (6, 0, 6)


@pytest.mark.parametrize(("image", "version"), [
    ("docker://brainlife/fsl:6.0.4-patched2", (6, 0, 4)),
    ("docker://brainlife/fsl:6.0.4", (6, 0, 4)),
    ("localhost:5000/lab/fsl:v6.0.7.1", (6, 0, 7)),
])
def test_fsl_version_is_read_from_the_image_tag(image, version):
    assert FSL.fsl_version(image) == version


@pytest.mark.parametrize("image", [
    "docker://brainlife/fsl", "docker://brainlife/fsl:latest", "docker://brainlife/fsl:6.0",
    "docker://brainlife/fsl@sha256:0123abcd", "localhost:5000/fsl", "docker://brainlife/fsl:patched-6.0.4",
])
def test_an_image_tag_without_an_fsl_version_is_a_config_error(image):
    with pytest.raises(ValueError, match=r"containers\.fsl") as error:
        FSL.fsl_version(image)
    assert image in str(error.value) and "6.0.6" in str(error.value)
    assert "docker://brainlife/fsl:6.0.4-patched2" in str(error.value)  # the fix: a tagged image


def test_the_configured_pin_is_the_fsl_the_reference_documents():
    default = yaml.safe_load((CONFIG / "schema.yaml").read_text())["properties"]["containers"]
    pinned = yaml.safe_load((CONFIG / "config.yaml").read_text())["containers"]["fsl"]
    assert default["properties"]["fsl"]["default"] == pinned == REF.IMAGE
    assert FSL.fsl_version(pinned) == REF.FSL_VERSION


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


def documented_call(cmd: str, version=REF.FSL_VERSION) -> tuple[str, dict[str, str]]:
    """One command of a chain: its program and options ({option: value}), after checking that the
    program is FSL's (or the chain's file handling) and every option is documented for it in the
    pinned FSL; an environment assignment before the program is taken as the program's."""
    words = plain(cmd)
    env = [w for w in words if re.fullmatch(r"[A-Z_]+=\S+", w)]
    program, *args = words[len(env):]
    if program in SHELL:
        assert not env
        return program, {}
    usage = REF.EDDY_FROM_6_0_6 if program == "eddy" and version >= (6, 0, 6) else REF.USAGE[program]
    compulsory, documented = usage
    options = {}
    for i, word in enumerate(args):
        if word.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", word):
            key, _, value = word.partition("=")
            following = args[i + 1] if i + 1 < len(args) else "-"
            options[key] = value or ("" if following.startswith("-") else following)
    undocumented = set(options) - documented
    assert not undocumented, f"{program} in FSL {version}: {sorted(undocumented)} undocumented in {cmd!r}"
    assert compulsory <= set(options), f"{program}: {sorted(compulsory - set(options))} missing in {cmd!r}"
    assert env in ([], ["OMP_NUM_THREADS={threads}"]) and (not env or program == "eddy_openmp")
    return program, options


def test_every_option_of_the_corrections_chain_is_documented_in_the_pinned_fsl():
    chain = FSL.corrections(["AP", "PA"], PINNED)
    calls = [documented_call(cmd) for cmd in chain.split(" && ")]
    programs = [program for program, _ in calls]
    assert programs == ["mkdir", "fslmerge", "fslselectvols", "topup", "mcflirt", "cp", "fslmaths", "bet",
                        "eddy_openmp", "cp", "cp", "cp", "cp", "cp", "rm"]
    options = dict(calls)
    assert options["topup"]["--config"] in REF.TOPUP_CONFIGS and "--nthr" not in options["topup"]
    assert options["fslmaths"] == {"-Tmean": "{params.work}_b0mean"}
    assert options["bet"] == {"-m": "", "-f": "0.2"}
    assert options["eddy_openmp"]["--topup"] == "{params.work}_topup" and "--repol" in options["eddy_openmp"]
    assert "OMP_NUM_THREADS={threads:q} eddy_openmp " in chain and "--nthr" not in chain
    assert plain(chain.split(" && ")[-1]) == ["rm", "-f", "{params.work}_*"]


def test_the_corrections_chain_from_fsl_6_0_6_runs_eddy_with_nthr():
    chain = FSL.corrections(["AP", "PA"], (6, 0, 6))
    eddy = [cmd for cmd in chain.split(" && ") if "--imain={params.eddy_series" in cmd]
    assert len(eddy) == 1 and documented_call(eddy[0], (6, 0, 6))[1]["--nthr"] == "{threads}"
    assert "eddy_openmp" not in chain and "OMP_NUM_THREADS" not in chain


def test_every_other_fsl_rule_command_is_documented_in_the_pinned_fsl():
    commands = [
        *FSL.dtifit_to_maps("{input.dwi}", "{input.mask}", "{input.bval}", "{input.bvec}", "{params.prefix}",
                            "{output.md}", "{output.fa}", "{output.ad}", "{output.rd}").split(" && ")[:-1],
        FSL.flirt_rigid("{input.moving}", "{input.fixed}", "{output.xfm}"),
        FSL.fsl_reg_fa("{input.fa}", "{params.prefix}"),
        FSL.applytopup("{input.b0}", "{input.datain}", 2, "{params.topup}", "{output.b0}"),
        *(FSL.applywarp("{input.md}", "{input.warp}", "{output.md}", res, premat)
          for res in FSL.TEMPLATE_GRID for premat in (None, "{input.premat}")),
    ]
    calls = [documented_call(cmd) for cmd in commands]
    assert {program for program, _ in calls} == {"dtifit", "fslmaths", "flirt", "fsl_reg", "applytopup",
                                                 "applywarp"}
    for program, options in calls:
        if program == "applywarp":
            assert options["--interp"] in REF.APPLYWARP_INTERP and options["--ref"] in REF.STANDARD_IMAGES
        if program == "applytopup":
            assert options["--method"] in REF.APPLYTOPUP_METHOD
    assert set(FSL.TEMPLATE_GRID.values()) | {FSL.FMRIB58_FA_1MM} <= REF.STANDARD_IMAGES
