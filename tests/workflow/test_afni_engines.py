"""The AFNI engine, really run: the study rsfMRI preset (config/study-rsfmri.yaml: 3dNetCorr, 3dLME,
3dFWHMx, 3dClustSim) on the tiny trial's rsfMRI arm with real AFNI from ../shared/afni (started in the
background by conftest.afni_started; the analysis mask cut to boxes, tests/afni_dataset.py). Each
AFNI step's converted output is compared with the native program on the very same input: the
3dNetCorr maps with `trialmri netcorr` on the denoised BOLD, 3dLME's F with `trialmri lme` on the
same z maps, 3dFWHMx with `trialmri fwhmx` on 3dLME's residuals, 3dClustSim with `trialmri
clustsim` at the same ACF and mask, and the clusters of both chains. The measured agreement is
README's "Native and AFNI engines" table."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml
from afni_dataset import AFNI_DIR
from helpers import BIN, ROOT, run

from trialmri.clusters.acf import acf_model
from trialmri.clusters.afni_outputs import read_clustsim_tables
from trialmri.clusters.cluster_files import apply_threshold

SPACE = "space-MNI152NLin2009cAsym"
PRESET = yaml.safe_load((ROOT / "config" / "study-rsfmri.yaml").read_text())["rsfmri"]
PRESET_FORMULA = PRESET["group_model"]["formula"]  # group*treatment*order
SEEDS = ("VS", "DC", "DCP", "VRP")
TERMS = ("(Intercept)", "group", "treatment", "order", "group:treatment", "group:order", "treatment:order",
         "group:treatment:order")
# nlme stops when the REML objective changes by less than msTol = 1e-7 (relative; lmeControl's
# default, handed to nlminb as rel.tol): at a quadratic optimum that leaves the variance parameter
# off by up to ~sqrt(1e-7) ~ 3e-4 of its scale, and F moves with it; 1e-3 relative covers that
F_RTOL = 1e-3
ACF_DETERMINED = 0.01  # correlation the ACF's exponential term must add at one voxel to fix c
CLUSTSIM_ITER = 2000
CLUSTSIM_SEEDS = (123456789, 24680)  # the workflow's seed, then a second one


@pytest.fixture(scope="module")
def afni(afni_started):
    """The finished AFNI run: ``(results folder, PATH with AFNI)``."""
    if afni_started is None:
        pytest.skip(f"{AFNI_DIR} is absent: real AFNI is not available, the AFNI engine cannot run here")
    work, proc, path = afni_started
    if proc.wait() != 0:
        log = (work / "snakemake.log").read_text()
        raise AssertionError(f"the study rsfMRI preset with AFNI failed:\n{log[-6000:]}")
    return work / "results", path


def _sessions(results: Path):
    return sorted(results.glob("sub-*/ses-*/func/*_desc-denoised_bold.nii.gz"))


def test_every_afni_step_ran_and_its_outputs_say_which_afni(afni):
    results, path = afni
    version = subprocess.run(["3dinfo", "-verb", "jRandomDataset:2,2,2,1"], capture_output=True, text=True,
                             env={"PATH": path}).stderr
    expected = re.search(r"AFNI_[0-9]+\.[0-9]+\.[0-9]+", version).group(0)
    assert expected == (AFNI_DIR / "VERSION").read_text().split()[0]
    group = results / "group" / "rsfmri"
    for seed in SEEDS:
        stem = group / f"{SPACE}_roi-{seed}_desc"
        lme = json.loads(Path(f"{stem}-lme_stats.json").read_text())
        assert (lme["engine"], lme["version"], lme["formula"]) == ("AFNI 3dLME", expected, PRESET_FORMULA)
        assert [v["term"] for v in lme["volumes"] if v["stat"] == "F"] == list(TERMS)
        assert json.loads(Path(f"{stem}-lme_acf.json").read_text())["version"] == expected
        sim = json.loads(Path(f"{stem}-clustsim.json").read_text())
        assert (sim["engine"], sim["version"]) == ("AFNI 3dClustSim -acf", expected)
        assert Path(f"{stem}-clusters.tsv").exists() and Path(f"{stem}-termclusters.tsv").exists()
        assert (group / "figures" / f"{SPACE}_roi-{seed}_desc-lme_stats.png").stat().st_size > 10_000
    sidecars = sorted(results.glob("sub-*/ses-*/func/*_desc-netcc_relmat.json"))
    assert len(sidecars) == len(_sessions(results)) == 15
    assert {json.loads(p.read_text())["Version"] for p in sidecars} == {expected}
    assert (group / "desc-clusters_posthoc.tsv").exists() and (group / "desc-crp_lme.tsv").exists()


def test_3dnetcorr_z_maps_and_matrix_equal_trialmri_netcorr(afni, tmp_path):
    """3dNetCorr -fish_z -ts_wb_Z vs `trialmri netcorr` on the same denoised BOLD, ROIs and mask:
    z within 1e-4 (both float32), the ROI x ROI r within 5e-5 (3dNetCorr prints 4 decimals)."""
    results, _ = afni
    labels = results / "rois" / f"{SPACE}_desc-seeds_dseg.nii.gz"
    worst_z = worst_r = 0.0
    for bold in _sessions(results)[:4]:
        stem = str(bold).removesuffix("_desc-denoised_bold.nii.gz")
        mask = f"{stem}_desc-denoise_mask.nii.gz"
        prefix = tmp_path / bold.name.split("_task")[0]
        run([BIN / "trialmri", "netcorr", "--input", bold, "--rois", labels, "--mask", mask, "--out-prefix", prefix])
        for roi in (*SEEDS, "V1"):
            ours = nib.load(f"{prefix}_roi-{roi}_z.nii.gz").get_fdata()
            theirs = nib.load(f"{stem}_roi-{roi}_stat-z_boldmap.nii.gz").get_fdata()
            worst_z = max(worst_z, np.abs(ours - theirs).max())
        ours = pd.read_csv(f"{prefix}_netcc.tsv", sep="\t").set_index(["stat", "roi"])
        theirs = pd.read_csv(f"{stem}_desc-netcc_relmat.tsv", sep="\t").set_index(["stat", "roi"])
        worst_r = max(worst_r, np.abs(ours.loc["r"] - theirs.loc["r"]).to_numpy().max())
    assert worst_z < 1e-4 and worst_r <= 5e-5, (worst_z, worst_r)


def _native_lme(group: Path, seed: str, out: Path) -> dict:
    run([BIN / "trialmri", "lme", "--table", group / f"roi-{seed}_desc-lme_table.tsv", "--formula", PRESET_FORMULA,
         "--mask", group / f"{SPACE}_desc-group_mask.nii.gz", "--out-prefix", out])
    return json.loads(Path(f"{out}_stats.json").read_text())


def test_3dlme_f_and_df_equal_trialmri_lme_where_the_subject_variance_is_interior(afni, tmp_path):
    """3dLME (nlme) vs `trialmri lme` on the same maps, table and mask: every term's df equal, and F
    within F_RTOL where the subject variance is not at its zero boundary (there REML's optimum is
    the boundary itself and each optimiser stops at its own tolerance from it)."""
    results, _ = afni
    group = results / "group" / "rsfmri"
    for seed in SEEDS:
        stem = group / f"{SPACE}_roi-{seed}_desc-lme"
        theirs_meta = json.loads(Path(f"{stem}_stats.json").read_text())
        ours_meta = _native_lme(group, seed, tmp_path / seed)
        ours_f = {v["term"]: v for v in ours_meta["volumes"] if v.get("stat") == "F" and "coef" not in v}
        theirs = nib.load(f"{stem}_stats.nii.gz").get_fdata()
        ours = nib.load(f"{tmp_path / seed}_stats.nii.gz").get_fdata()
        variance = ours[..., ours_meta["volumes"].index({"term": "subject", "stat": "variance"})]
        residual = ours[..., ours_meta["volumes"].index({"term": "Residual", "stat": "variance"})]
        interior = (nib.load(f"{stem}_fitmask.nii.gz").get_fdata() == 1) & (variance > 1e-3 * residual)
        assert interior.sum() > 100
        for i, vol in enumerate(theirs_meta["volumes"]):
            if vol["stat"] != "F":
                continue
            mine = ours_f[vol["term"]]
            assert (vol["df_num"], vol["df_den"]) == (mine["df_num"], mine["df_den"]), (seed, vol)
            f_ours = ours[..., ours_meta["volumes"].index(mine)][interior]
            f_theirs = theirs[..., i][interior]
            np.testing.assert_allclose(f_theirs, f_ours, rtol=F_RTOL, atol=1e-6, err_msg=f"{seed} {vol['term']}")


def _c_is_determined(a: float, c: float, voxel_mm: float) -> bool:
    """Whether the data can fix the ACF's exponential scale c: its term (1 - a)·exp(-r/c) still
    adds at least ACF_DETERMINED to the correlation at one voxel's distance. Below that, any such
    c gives the same ACF at every lag the data hold (DCP here: c = 0.53 mm on 4 mm voxels, a
    correlation of 1e-4 at 4 mm), and each optimiser stops where its tolerance leaves it."""
    return (1 - a) * np.exp(-voxel_mm / c) >= ACF_DETERMINED


def test_3dfwhmx_acf_equals_trialmri_fwhmx_on_3dlme_residuals(afni, tmp_path):
    """3dFWHMx -acf vs `trialmri fwhmx` on 3dLME's residuals in the fitted voxels: a, b and the
    ACF's FWHM within 2 %, c within 2 % where the data determine it (_c_is_determined), and the two
    fitted ACF curves within 1e-3 at every lag from one voxel to 4 b."""
    results, _ = afni
    group = results / "group" / "rsfmri"
    for seed in SEEDS:
        stem = group / f"{SPACE}_roi-{seed}_desc"
        run([BIN / "trialmri", "fwhmx", "--input", f"{stem}-lme_resid.nii.gz", "--mask",
             f"{stem}-lmefit_mask.nii.gz", "--out-prefix", tmp_path / seed])
        ours = json.loads(Path(f"{tmp_path / seed}.json").read_text())
        theirs = json.loads(Path(f"{stem}-lme_acf.json").read_text())
        (a, b, c), voxel = ours["acf"], float(nib.load(f"{stem}-lme_resid.nii.gz").header.get_zooms()[0])
        determined = 3 if _c_is_determined(a, c, voxel) else 2
        np.testing.assert_allclose(theirs["acf"][:determined], ours["acf"][:determined], rtol=0.02, err_msg=seed)
        np.testing.assert_allclose(theirs["acf_fwhm_mm"], ours["acf_fwhm_mm"], rtol=0.02, err_msg=seed)
        lags = np.arange(voxel, 4 * b, 0.25)
        np.testing.assert_allclose(acf_model(lags, *theirs["acf"]), acf_model(lags, a, b, c), atol=1e-3, err_msg=seed)


def _clustsim_pair(afni, tmp_path, seed: str, noise: str) -> tuple[list[dict], list[dict]]:
    """3dClustSim and `trialmri clustsim --noise <noise>` at CLUSTSIM_ITER fields, each with
    CLUSTSIM_SEEDS, on one seed's fit mask and 3dFWHMx's ACF: ``(afni tables, native tables)``."""
    results, path = afni
    stem = results / "group" / "rsfmri" / f"{SPACE}_roi-{seed}_desc"
    acf = json.loads(Path(f"{stem}-lme_acf.json").read_text())
    args = ["--pthr", "0.01", "0.005", "0.001", "--athr", "0.1", "0.05", "--iter", str(CLUSTSIM_ITER)]
    theirs, ours = [], []
    for n, rng in enumerate(CLUSTSIM_SEEDS):
        prefix = tmp_path / f"afni{n}"
        subprocess.run(["3dClustSim", "-mask", f"{stem}-lmefit_mask.nii.gz", "-acf", *map(str, acf["acf"]),
                        *[a.replace("--", "-") for a in args], "-seed", str(rng), "-prefix", str(prefix)],
                       check=True, capture_output=True, env={"PATH": path, "OMP_NUM_THREADS": "1"})
        theirs.append(read_clustsim_tables(prefix))
        run([BIN / "trialmri", "clustsim", "--mask", f"{stem}-lmefit_mask.nii.gz", "--acf", *map(str, acf["acf"]),
             *args, "--seed", str(rng), "--noise", noise, "--out-prefix", tmp_path / f"native{n}"])
        ours.append(json.loads((tmp_path / f"native{n}.json").read_text()))
    return theirs, ours


def test_3dclustsim_equals_trialmri_clustsim_with_its_spectrum_within_monte_carlo_error(afni, tmp_path):
    """3dClustSim vs `trialmri clustsim --noise afni` (AFNI's band-limited spectrum) at the same ACF
    and mask, two seeds each: every NN1 1- and 2-sided size at alpha 0.1 and 0.05 agrees within
    3 Monte Carlo SDs (the SD from the two seeds' spread, at least AFNI's 0.1-voxel print step). With
    the exact ACF (`--noise exact`, the default), the sizes are smaller: AFNI's fields are smoother
    than the ACF they are given (trialmri/clusters/afni_spectrum.py)."""
    theirs, ours = _clustsim_pair(afni, tmp_path, "DC", "afni")
    (tmp_path / "exact").mkdir()
    exact = _clustsim_pair(afni, tmp_path / "exact", "DC", "exact")[1]
    for side in ("1-sided", "2-sided"):
        for p in ("0.01", "0.005", "0.001"):
            for alpha in ("0.1", "0.05"):
                a = np.array([t["NN1"][side][p][alpha] for t in theirs])
                n = np.array([t["NN1"][side][p][alpha] for t in ours])
                e = np.mean([t["NN1"][side][p][alpha] for t in exact])
                sd = max(abs(a[0] - a[1]), abs(n[0] - n[1]), 0.1) / np.sqrt(2)
                assert abs(a.mean() - n.mean()) <= 3 * sd, (side, p, alpha, a, n)
                assert e <= n.mean() + 3 * sd, (side, p, alpha, e, n)


def test_both_chains_find_the_same_clusters(afni, tmp_path):
    """The clusters of group:treatment from the AFNI chain (3dLME, 3dFWHMx, 3dClustSim) and from the
    native programs run on the same z maps (`trialmri lme`, `fwhmx`, `clustsim --noise afni`, then
    the workflow's thresholding): the same size threshold per seed and the same clusters (voxel
    counts and peaks)."""
    results, _ = afni
    group = results / "group" / "rsfmri"
    for seed in SEEDS:
        stem = group / f"{SPACE}_roi-{seed}_desc"
        theirs = json.loads(Path(f"{stem}-clusters.json").read_text())
        prefix = tmp_path / seed
        _native_lme(group, seed, prefix)
        fit = tmp_path / f"{seed}_fit.nii.gz"
        codes = nib.load(f"{prefix}_fitmask.nii.gz")
        nib.save(nib.Nifti1Image((np.asarray(codes.dataobj) == 1).astype(np.uint8), codes.affine), fit)
        run([BIN / "trialmri", "fwhmx", "--input", f"{prefix}_resid.nii.gz", "--mask", fit, "--out-prefix",
             tmp_path / f"{seed}_acf"])
        acf = json.loads((tmp_path / f"{seed}_acf.json").read_text())["acf"]
        sim = json.loads(Path(f"{stem}-clustsim.json").read_text())
        run([BIN / "trialmri", "clustsim", "--mask", fit, "--acf", *map(str, acf), "--pthr", str(theirs["pthr"]),
             "--athr", str(theirs["alpha"]), "--iter", str(sim["iterations"]), "--seed", str(sim["seed"]),
             "--noise", "afni", "--out-prefix", tmp_path / f"{seed}_cs"])
        ours = apply_threshold(f"{prefix}_stats.nii.gz", f"{prefix}_stats.json", fit, tmp_path / f"{seed}_cs.json",
                               theirs["term"], theirs["pthr"], theirs["alpha"], theirs["nn"], theirs["sided"],
                               tmp_path / f"{seed}_dseg.nii.gz", tmp_path / f"{seed}.tsv", tmp_path / f"{seed}_cl.json",
                               atlases=[])
        assert ours["min_voxels"] == theirs["min_voxels"], (seed, ours["size_threshold"], theirs["size_threshold"])
        assert ours["clusters"] == theirs["clusters"] and ours["voxels_supra"] == theirs["voxels_supra"], seed
        if theirs["clusters"]:
            cols = ["voxels", "peak_x", "peak_y", "peak_z"]
            a = pd.read_csv(f"{stem}-clusters.tsv", sep="\t")[cols]
            b = pd.read_csv(tmp_path / f"{seed}.tsv", sep="\t")[cols]
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
