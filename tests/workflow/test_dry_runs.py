"""Snakemake dry runs on the tiny trial with the study's engines: the jobs, commands and images
they plan (no FSL or AFNI needed)."""

import json
import re
import shlex

import pytest
import yaml
from helpers import BIN, ROOT, dry_run, run

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


ALL_STUDY_ENGINES = ("dti:\n  engines: {topup: fsl, eddy: fsl, registration: fsl, tensor: fsl}\n"
                     "rsfmri:\n  engines: {netcorr: afni, lme: afni, fwhmx: afni, clustsim: afni}\n"
                     "  clusters: {iterations: 1000}\n")


@pytest.fixture
def apptainer_stand_in(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "apptainer_calls.txt"
    script = folder / "apptainer"
    script.write_text(f"""#!/bin/sh
echo "$@" >> "{calls}"
if [ "$1" = "--version" ]; then echo "apptainer version 1.3.4"; exit 0; fi
echo "stand-in apptainer: only --version is answered (a dry run needs nothing else)" >&2; exit 1
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{__import__('os').environ['PATH']}")
    return calls


def test_dry_run_with_apptainer_plans_the_fsl_and_afni_jobs_in_their_images(tiny_bids, tmp_path, apptainer_stand_in):
    out, counts = dry_run(tiny_bids, tmp_path, ALL_STUDY_ENGINES, "--sdm", "apptainer")
    for engine in ("fsl", "afni"):
        assert f"Singularity image {CONFIG['containers'][engine]} will be pulled." in out, engine
    for rule in ("prepare_fsl_corrections", "correct_dwi", "fit_tensor", "register_fa_to_template",
                 "run_3dnetcorr", "run_3dlme", "run_3dfwhmx", "run_3dclustsim"):
        assert int(counts.get(rule, 0)) > 0, (rule, counts)
    assert not any(rule in counts for rule in ("register_t1w_to_template",)), counts  # native-only rule
    assert apptainer_stand_in.read_text().split("\n")[:-1] == ["--version"] * len(
        apptainer_stand_in.read_text().split("\n")[:-1]), "the dry run asked apptainer for more than its version"


@pytest.mark.workflow
def test_paths_with_spaces_and_quotes_reach_every_fsl_and_afni_command_as_one_word(tiny_bids, tmp_path):
    """Every shell command the study engines would run, for a dataset and an output folder whose
    paths hold spaces and both quotes: parsed as the shell parses words, each path is one whole word
    (Snakemake fills the placeholders shell-quoted), and no fragment of those names stands alone."""
    bids = tmp_path / 'my "study" it\'s'
    bids.symlink_to(tiny_bids, target_is_directory=True)
    work = tmp_path / "out dir 'x' \"y\""
    work.mkdir()
    out, counts = dry_run(bids, work, ALL_STUDY_ENGINES)
    commands = [line.split("Shell command: ", 1)[1] for line in out.splitlines() if "Shell command: " in line]
    programs = {"dtifit", "flirt", "fsl_reg", "applywarp", "fslmerge", "topup", "eddy_openmp", "mcflirt", "3dNetCorr",
                "3dLME", "3dFWHMx", "3dClustSim"}
    assert programs <= {w for c in commands for w in re.findall(r"[\w-]+", c)}, "a study program was not planned"
    whole = (str(bids), str(work))
    checked = 0
    for command in commands:
        for word in shlex.split(command):
            if word.startswith("{"):  # a sidecar's JSON text, echoed: one word if it parses
                paths = [v for v in json_strings(json.loads(word)) if str(tmp_path) in v]
                assert paths and all(any(name in v for name in whole) for v in paths), word
                continue
            if str(tmp_path) in word:
                assert any(name in word for name in whole), (word, command)
                checked += 1
            else:
                assert not re.search(r"study|it's|dir 'x'|\"y\"", word), (word, command)
    assert checked > 1000


def test_dry_run_with_afni_cluster_engines(tiny_bids, tmp_path):
    """``engines.fwhmx/clustsim: afni`` plans 3dFWHMx and 3dClustSim per seed in the pinned AFNI
    container, on the LME residuals and fitted voxels, with the config's p, alpha, iterations, seed."""
    out, counts = dry_run(tiny_bids, tmp_path, "rsfmri:\n  engines:\n    fwhmx: afni\n    clustsim: afni\n"
                                                "  clusters:\n    iterations: 5000\n    seed: 42\n")
    seeds = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["rsfmri"]["seeds"]["regions"]
    for rule in ("run_3dfwhmx", "fwhmx", "run_3dclustsim", "clustsim", "clusters", "plot_clusters"):
        assert counts[rule] == str(len(seeds)), rule
    assert counts["cluster_summary"] == "1"
    fwhmx = re.findall(r"3dFWHMx -ShowMeClassicFWHM .*", out)
    clustsim = re.findall(r"3dClustSim -mask .*", out)
    assert len(fwhmx) == len(clustsim) == len(seeds)
    vs = next(c for c in fwhmx if "roi-VS" in c)
    assert re.search(r"-input \S+roi-VS_desc-lme_resid\.nii\.gz", vs)
    assert re.search(r"-mask \S+roi-VS_desc-lmefit_mask\.nii\.gz", vs)
    vs = next(c for c in clustsim if "roi-VS" in c)
    assert re.search(r"-acf \$\(cat \S+roi-VS_desc-lme_acf\.txt\)", vs)
    assert "-pthr 0.01 0.005 0.002 0.001 -athr 0.1 0.05 0.02 0.01 -iter 5000 -seed 42" in vs


def test_dry_run_with_afni_lme_plans_3dlme_per_seed(tiny_bids, tmp_path):
    """``engines.lme: afni`` plans one 3dLME job per seed in the pinned AFNI container, on the
    data table in 3dLME's form, the group mask, and the per-seed formula from config."""
    out, counts = dry_run(tiny_bids, tmp_path, "rsfmri:\n  engines:\n    lme: afni\n"
                                                "  group_model:\n    seed_formulas: {DC: group*treatment}\n")
    seeds = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["rsfmri"]["seeds"]["regions"]
    assert counts["run_3dlme"] == counts["group_lme"] == counts["lme_table"] == str(len(seeds))
    assert counts["rs_group_sessions"] == "1"
    commands = re.findall(r"3dLME -prefix .*", out)
    assert len(commands) == len(seeds)
    vs = next(c for c in commands if "roi-VS_desc-lme_afnitable.txt" in c)
    dc = next(c for c in commands if "roi-DC_desc-lme_afnitable.txt" in c)
    assert re.search(r"-model '?group\*treatment\+order'? ", vs) and re.search(r"-model '?group\*treatment'? ", dc)
    assert re.search(r"-mask \S+group/rsfmri/space-MNI152NLin2009cAsym_desc-group_mask\.nii\.gz", vs)
    assert re.search(r"-prefix \S+work/3dlme/roi-VS/lme\.nii\.gz", vs) and "-SS_type 3" in vs
    assert "docker://afni/afni_make_build" in out or "container" not in out  # image named in the rule
    lint = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", tmp_path, "--configfile",
                tmp_path / "config.yaml", "--lint"])
    assert "Congratulations" in lint.stdout + lint.stderr


def test_dry_run_with_afni_netcorr_plans_3dnetcorr_per_session(tiny_bids, tmp_path):
    """``engine: afni`` plans one 3dNetCorr job per session in the pinned AFNI container, feeding
    the denoised BOLD, the workflow's ROI label map and the denoising mask, then the conversion."""
    out, counts = dry_run(tiny_bids, tmp_path, "rsfmri:\n  engines:\n    netcorr: afni\n")
    truth = yaml.safe_load((tiny_bids / "truth.json").read_text())["rsfmri"]["subjects"]
    n_sessions = sum(len(v["sessions"]) for v in truth.values())
    assert counts["run_3dnetcorr"] == counts["seed_maps"] == counts["denoise_bold"] == str(n_sessions)
    command = re.search(r"3dNetCorr .*sub-r01_ses-ketamine.*", out).group(0)
    assert re.search(r"-inset \S+sub-r01_ses-ketamine_task-rest_space-MNI152NLin2009cAsym_desc-denoised_bold"
                     r"\.nii\.gz", command)
    assert re.search(r"-in_rois \S+rois/space-MNI152NLin2009cAsym_desc-seeds_dseg\.nii\.gz", command)
    assert re.search(r"-mask \S+_desc-denoise_mask\.nii\.gz", command)
    assert re.search(r"-prefix \S+work/3dnetcorr/sub-r01_ses-ketamine/netcorr", command)
    assert "-fish_z" in command and "-ts_wb_Z" in command and "-nifti" in command
    lint = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", tmp_path, "--configfile",
                tmp_path / "config.yaml", "--lint"])
    assert "Congratulations" in lint.stdout + lint.stderr


@pytest.mark.workflow
def test_dry_run_with_fsl_engines_plans_the_fsl_chain(tiny_bids, tmp_path):
    out, counts = dry_run(tiny_bids, tmp_path, "dti:\n  engines:\n    tensor: fsl\n    registration: fsl\n")
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


def json_strings(value):
    """Every string inside a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)


def test_study_presets_plan_the_published_pipelines(tiny_bids, tmp_path):
    """config/study-dti.yaml and config/study-rsfmri.yaml, layered on a data config as the README
    says, plan the papers' pipelines: FSL's chain with FA -> FMRIB58 at 1 mm, and AFNI's programs
    with the study's model for every seed (the rsfMRI preset also runs for real:
    test_afni_engines.py)."""
    presets = [ROOT / "config" / "study-dti.yaml", ROOT / "config" / "study-rsfmri.yaml"]
    out, counts = dry_run(tiny_bids, tmp_path, "", "--configfile", tmp_path / "config.yaml", *presets)
    assert "fsl_reg" in out and "FMRIB58_FA_1mm" in out and "eddy_openmp" in out and "dtifit" in out
    assert "space-MNI152NLin6Asym_res-1_param-md_dwimap" in out
    lme = re.findall(r"3dLME -prefix .*", out)
    assert len(lme) == int(counts["run_3dlme"]) == 4
    assert all("-model 'group*treatment*order'" in c for c in lme)
    assert int(counts["run_3dnetcorr"]) > 0 and int(counts["run_3dclustsim"]) == 4
