"""The cluster chain on trialmri synth's planted design: the study-size rsfMRI trial of
``trialmri synth --preset study-n`` (27 TRD + 19 HV, 3 placebo sessions missing, counterbalanced
order, per-session seed-target correlations rho with the group x treatment effect) with its seed
target regions, made into Fisher-z maps directly instead of through simulated BOLD (that full
run takes ~15 min; its result is in issue 8's note). Each session's map is the planted
connectivity 0.8·rho·profile(target) (synth's Gaussian target profile, sigma 6 mm; 0.8 is the
measured z per unit rho of the workflow run) plus smooth noise at the level that run's LME
residuals measured (SD 0.13, FWHM ~5 mm at 4 mm voxels). The programs then run as an analyst
would: trialmri lme -> fwhmx -> clustsim -> the clusters of group:treatment; then the ROI
follow-up finds synth's planted ΔCRP-ΔFC relation in the group it was planted in."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from trialmri.cli import main
from trialmri.fc.followup import (change_table, clinical_table, cluster_rois, correlations, fc_table,
                                  fisher_tests, transform_values)
from trialmri.clusters.cluster_files import apply_threshold
from trialmri.grids import Grid
from trialmri.synth.bold import TARGET_SIGMA_MM, _profile
from trialmri.synth.design import TARGETS, rs_design
from trialmri.synth.presets import get_preset
from trialmri.templates import mni_on_grid

Z_PER_RHO, NOISE_SD, NOISE_SIGMA_VOX = 0.8, 0.13, 0.55
EXPECTED_LABELS = {"VS": ("Middle_Frontal",), "DCP": ("Cingulate", "Paracingulate"),
                   "VRP": ("Frontal_Orbital", "Frontal_Pole"), "DC": ("Inferior_Frontal",)}


def planted_design(rng=None):
    """synth's study-n rsfMRI design (participants, sessions with CRP and symptoms, truth), drawn
    first from ``rng`` (default: a fresh generator with the maps' seed, so the same design)."""
    return rs_design(get_preset("study-n"), rng if rng is not None else np.random.default_rng(31))


def planted_maps(tmp_path, seed: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(31)
    participants, _, truth = planted_design(rng)
    affine = np.array([[4.0, 0, 0, -80], [0, 4.0, 0, -115], [0, 0, 4.0, -80], [0, 0, 0, 1]])
    grid = Grid((41, 50, 43), affine)
    brain = mni_on_grid(grid)["brain"] > 0.5
    profile = _profile(grid.world(), TARGETS[seed]["centres"], TARGET_SIGMA_MM)
    rows = []
    for sub, group, order in zip(participants.participant_id.str[4:], participants.group,
                                 participants.infusion_order):
        info = truth["subjects"][sub]
        for ses in info["sessions"]:
            noise = ndimage.gaussian_filter(rng.standard_normal((61, 70, 63)), NOISE_SIGMA_VOX)[10:-10, 10:-10, 10:-10]
            noise *= NOISE_SD / noise.std()
            z = Z_PER_RHO * info["rho"][ses][seed] * profile + noise
            path = tmp_path / f"sub-{sub}_ses-{ses}_z.nii.gz"
            nib.save(nib.Nifti1Image(np.where(brain, z, 0).astype(np.float32), affine), path)
            rows.append({"subject": sub, "group": group, "treatment": ses, "order": order, "InputFile": path.name})
    nib.save(nib.Nifti1Image(brain.astype(np.uint8), affine), tmp_path / "mask.nii.gz")
    return pd.DataFrame(rows), brain, affine


@pytest.fixture(scope="module")
def planted_chains(tmp_path_factory) -> dict:
    """Per seed (VS, VRP): the chain lme -> fwhmx -> clustsim -> clusters run on planted maps."""
    chains = {}
    for seed in ("VS", "VRP"):
        work = tmp_path_factory.mktemp(seed)
        table, brain, affine = planted_maps(work, seed)
        assert len(table) == 89 and table.subject.nunique() == 46
        table.to_csv(work / "table.tsv", sep="\t", index=False)
        assert main(["lme", "--table", str(work / "table.tsv"), "--formula", "group*treatment+order",
                     "--mask", str(work / "mask.nii.gz"), "--out-prefix", str(work / "lme")]) == 0
        fitted = np.asarray(nib.load(work / "lme_fitmask.nii.gz").dataobj) == 1
        nib.save(nib.Nifti1Image(fitted.astype(np.uint8), affine), work / "fit.nii.gz")
        assert main(["fwhmx", "--input", str(work / "lme_resid.nii.gz"), "--mask", str(work / "fit.nii.gz"),
                     "--out-prefix", str(work / "acf")]) == 0
        acf = json.loads((work / "acf.json").read_text())
        assert 4.0 < np.mean(acf["fwhm_xyz_mm"]) < 7.0  # the noise's smoothness (FWHM ~5 mm)
        assert main(["clustsim", "--mask", str(work / "fit.nii.gz"), "--acf", *map(str, acf["acf"]),
                     "--pthr", "0.005", "--athr", "0.05", "--iter", "1000", "--seed", "5",
                     "--out-prefix", str(work / "cs")]) == 0
        out = apply_threshold(work / "lme_stats.nii.gz", work / "lme_stats.json", work / "fit.nii.gz",
                              work / "cs.json", "group:treatment", 0.005, 0.05, 1, "auto",
                              work / "dseg.nii.gz", work / "clusters.tsv", work / "clusters.json")
        clusters = pd.read_csv(work / "clusters.tsv", sep="\t")
        chains[seed] = {"work": work, "table": table, "out": out, "clusters": clusters}
    return chains


def test_planted_group_by_treatment_clusters_are_found_and_labelled(planted_chains):
    for seed, chain in planted_chains.items():
        work, out, clusters = chain["work"], chain["out"], chain["clusters"]
        assert out["sided"] == "2-sided" and out["min_voxels"] >= 2
        centres = TARGETS[seed]["centres"]
        for centre in centres:  # every planted target region holds a surviving cluster ...
            dist = np.sqrt(((clusters[["com_x", "com_y", "com_z"]].to_numpy() - centre) ** 2).sum(1))
            hit = clusters.iloc[int(np.argmin(dist))]
            assert dist.min() < 8.0, (seed, centre, clusters[["voxels", "com_x", "com_y", "com_z"]])
            assert any(name in hit["harvard_oxford_regions"] for name in EXPECTED_LABELS[seed]), hit
        # ... and nothing survives far from the targets (a 5 % chance per seed under the null)
        far = [min(np.linalg.norm(np.array(c) - r[["com_x", "com_y", "com_z"]].to_numpy(float)) for c in centres)
               for _, r in clusters.iterrows()]
        assert sum(d > 20 for d in far) <= 1, clusters
        labels = np.asarray(nib.load(work / "dseg.nii.gz").dataobj)
        assert sorted(np.unique(labels[labels > 0])) == list(clusters.cluster)
        assert list(np.bincount(labels[labels > 0])[1:]) == list(clusters.voxels)


def test_planted_crp_relation_is_recovered_in_the_group_it_was_planted_in(planted_chains):
    """synth plants ΔlogCRP = -1.5 x centred Δrho_VRP + noise in HV and no relation in TRD; the
    follow-up chain (cluster ΔFC, clinical table, Pearson per group, Fisher r-to-z) finds it in HV."""
    chain = planted_chains["VRP"]
    participants, sessions, truth = planted_design()
    assert truth["crp_slope"] == {"HV": -1.5, "TRD": 0.0}
    maps = chain["table"].assign(session=chain["table"].treatment, used=True)
    rois, regions = cluster_rois(np.asarray(nib.load(chain["work"] / "dseg.nii.gz").dataobj), chain["clusters"],
                                 ["harvard_oxford", "aal"])
    fc = fc_table(maps, {"VRP": [str(chain["work"] / f) for f in maps.InputFile]}, {"VRP": rois})
    fc.insert(fc.columns.get_loc("roi") + 1, "region", [regions[r] for r in fc.roi])
    clinical = clinical_table(sessions, participants, {"group": "group", "order": "infusion_order"},
                              ["ketamine", "placebo"], ["TRD", "HV"], {"crp_day1": "crp_day1"})
    clinical["log_crp_day1"] = transform_values(clinical.crp_day1, "log", "CRP")
    changes = change_table(fc, clinical, ["log_crp_day1"], "ketamine", "placebo")
    assert changes.subject.nunique() == 43  # 46 subjects, 3 without a placebo scan
    r = correlations(changes, "delta_fc", {"delta_log_crp_day1": "CRP"}, ["seed", "roi", "region"], ["TRD", "HV"])
    fisher = fisher_tests(r, ["seed", "roi", "region", "measure"], "TRD", "HV")
    print(r[["roi", "region", "group", "n", "r", "p"]].to_string(), fisher[["roi", "z", "p"]].to_string(), sep="\n")
    for roi in rois:  # every VRP cluster (left and right OFC) carries the planted Δrho
        hv = r[(r.roi == roi) & (r.group == "HV")].iloc[0]
        trd = r[(r.roi == roi) & (r.group == "TRD")].iloc[0]
        assert hv.n == 18 and trd.n == 25
        assert hv.r < -0.4 and hv.p < 0.05, hv
        assert trd.p > 0.05, trd
        assert fisher[fisher.roi == roi].z.iloc[0] > 0  # HV's r is the more negative
