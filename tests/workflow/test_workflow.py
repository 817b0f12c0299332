"""The Snakemake workflow on the tiny synthetic trial: outputs, exclusions, incremental reruns, lint."""

import json
import re
import shutil

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import BIN, CLUSTSIM_ITERATIONS, HELD_BACK, ROOT, run, snakemake


CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
DTI_ROIS, OUTCOMES = CONFIG["dti"]["rois"], CONFIG["dti"]["statistics"]["outcomes"]
RS_SEEDS = CONFIG["rsfmri"]["seeds"]["regions"]


def test_outputs_and_exclusions(first_run, tiny_bids):
    results = first_run / "results"
    description = json.loads((results / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"][0]["Name"] == "trialmri" and "tensor=native" in description["GeneratedBy"][0]["Description"]
    qc = pd.read_csv(results / "input_qc.tsv", sep="\t", keep_default_na=False)
    assert set(qc["status"]) == {"pass"}, qc[qc["status"] != "pass"]
    assert len(set(qc["subject"]) - {"n/a"}) == 14  # 16 minus the two held back
    assert {"score madrs", "crp_day1 numeric", "unique participant_id"} <= set(qc["check"])
    excl = pd.read_csv(results / "exclusions.tsv", sep="\t", keep_default_na=False)
    rows = {(r.subject, r.session, r.step): r.reason for r in excl.itertuples()}
    for sub in HELD_BACK:
        assert "no images" in rows[(sub, "n/a", "inputs")]
    truth = json.loads((tiny_bids / "truth.json").read_text())["rsfmri"]["subjects"]
    missing = [s for s, v in truth.items() if v["missing_sessions"] and s not in HELD_BACK]
    for sub in missing:
        assert "session placebo missing" in rows[(sub, "placebo", "rsfmri")]
    assert len(rows) == len(HELD_BACK) + len(missing)
    assert (results / "figures" / "inputs_inventory.png").stat().st_size > 10_000
    assert (results / "sub-d01" / "sub-d01_desc-inputs_qc.tsv").exists()
    assert (results / "logs" / "check_subject_inputs" / "sub-d01.log").exists()


def test_dti_maps_in_mni_for_every_subject_and_session(first_run, tiny_bids):
    results = first_run / "results"
    truth = json.loads((tiny_bids / "truth.json").read_text())["dti"]
    template = nib.load(results / "templates" / "tpl-MNI152NLin2009aSym_res-2_desc-brain_mask.nii.gz")
    brain = template.get_fdata() > 0
    subjects = [s for s in truth["subjects"] if s not in HELD_BACK]
    assert len(subjects) == 7
    for sub in subjects:
        for ses in ("pre", "post"):
            folder = results / f"sub-{sub}" / f"ses-{ses}"
            stem = folder / "dwi" / f"sub-{sub}_ses-{ses}_space-MNI152NLin2009aSym_res-2_param"
            md = nib.load(f"{stem}-md_dwimap.nii.gz")
            assert md.shape == template.shape and np.allclose(md.affine, template.affine)
            values = md.get_fdata()[brain]
            assert np.isfinite(values).mean() > 0.9  # 4 mm data: the b0 mask edge loses a rim
            assert 0.6e-3 < np.nanmedian(values) < 1.2e-3  # brain tissue, mm²/s
            sidecar = json.loads(Path(f"{stem}-md_dwimap.json").read_text())
            assert sidecar["GeneratedBy"]["Engine"] == "native" and "antspyx" in sidecar["GeneratedBy"]["Software"]
            assert len(sidecar["Sources"]) == (6 if ses == "post" else 5)  # md, fa + 3 or 4 transforms
            fit = pd.read_csv(folder / "dwi" / f"sub-{sub}_ses-{ses}_desc-tensor_qc.tsv", sep="\t")
            assert fit.loc[0, "n_fitted"] + fit.loc[0, "no_signal"] + fit.loc[0, "too_few_volumes"] + fit.loc[
                0, "rank_deficient"] == fit.loc[0, "n_mask"] > 5000
            for figure in ("registration", "mdhistogram"):
                assert (folder / "figures" / f"sub-{sub}_ses-{ses}_desc-{figure}_qc.png").stat().st_size > 10_000
        assert (results / f"sub-{sub}" / "anat" / f"sub-{sub}_from-T1w_to-MNI152NLin2009aSym_mode-image_xfm.nii.gz").exists()


def test_dti_group_tables_table2_and_figures(first_run, tiny_bids):
    results, group = first_run / "results", first_run / "results" / "group" / "dti"
    truth = json.loads((tiny_bids / "truth.json").read_text())["dti"]["subjects"]
    subjects = sorted(s for s in truth if s not in HELD_BACK)
    rois = pd.read_csv(results / "rois" / "space-MNI152NLin2009aSym_res-2_rois.tsv", sep="\t")
    assert list(rois["roi"]) == list(DTI_ROIS) and (rois["n_voxels"] > 20).all()
    for roi in rois.itertuples():
        mask = nib.load(results / "rois" / f"space-MNI152NLin2009aSym_res-2_desc-{roi.roi}_mask.nii.gz")
        assert int(mask.get_fdata().sum()) == roi.n_voxels
    assert (results / "figures" / "space-MNI152NLin2009aSym_res-2_desc-rois_qc.png").stat().st_size > 20_000
    table = pd.read_csv(group / "analysis_table.tsv", sep="\t")
    assert sorted(table["subject"].unique()) == subjects and len(table) == len(subjects) * len(DTI_ROIS)
    # ROI means recomputed here from the MD maps and masks; ΔMD = pre − post in 10⁻³ mm²/s.
    roi_md = pd.read_csv(group / "roi_md.tsv", sep="\t").set_index(["subject", "session", "roi"])
    sub = subjects[0]
    for ses in ("pre", "post"):
        md = nib.load(results / f"sub-{sub}" / f"ses-{ses}" / "dwi" /
                      f"sub-{sub}_ses-{ses}_space-MNI152NLin2009aSym_res-2_param-md_dwimap.nii.gz").get_fdata()
        for roi in DTI_ROIS:
            mask = nib.load(results / "rois" / f"space-MNI152NLin2009aSym_res-2_desc-{roi}_mask.nii.gz").get_fdata() > 0
            values = md[mask & np.isfinite(md) & (md > 0)]
            assert roi_md.loc[(sub, ses, roi), "md"] == pytest.approx(values.mean() * 1e3, rel=1e-9)
            row = table[(table["subject"] == sub) & (table["roi"] == roi)].iloc[0]
            assert row[f"md_{ses}"] == roi_md.loc[(sub, ses, roi), "md"]
    assert np.allclose(table["delta_md_raw"], table["md_pre"] - table["md_post"])
    # Measured against planted ΔMD: the sign and the subject/ROI alignment. (At the tiny 4 mm
    # geometry with no distortion correction yet, the measurement error is as large as the
    # planted spread: r is about 0.6 here; a flipped sign or misaligned rows would give r <= 0.)
    planted = [truth[r.subject]["roi_delta_md"][r.roi] * 1e3 for r in table.itertuples()]
    assert np.corrcoef(planted, table["delta_md_raw"])[0, 1] > 0.3
    assert (table["group"] == (table["group_label"] == "ketamine")).all()
    expected_change = {s: truth[s]["clinical_change"]["madrs"] for s in subjects}
    assert (table["delta_madrs"] == table["subject"].map(expected_change)).all()
    winsor = pd.read_csv(group / "winsorizing.tsv", sep="\t")
    assert list(winsor["roi"]) == list(DTI_ROIS) and (winsor["method"] == "sd").all()
    ttests = pd.read_csv(group / "ttests.tsv", sep="\t")
    assert len(ttests) == len(OUTCOMES) + 2 * len(DTI_ROIS)
    t2 = pd.read_csv(group / "table2.tsv", sep="\t")
    models = ["main", "baseline_md", "treatment_resistance", "psychotropic_medication"]
    assert len(t2) == len(DTI_ROIS) * len(OUTCOMES) * len(models) and set(t2["model"]) == set(models)
    assert (t2["term"] == "delta_md:group").all()
    main = t2[t2["model"] == "main"]
    assert main["t"].notna().all() and (main["df"] == len(subjects) - 4).all()
    sensitivity = pd.read_csv(group / "ols_sensitivity.tsv", sep="\t")
    assert set(sensitivity["model"]) == set(models[1:])
    assert json.loads((group / "table2.json").read_text())["beta"].startswith("beta = B * SD(x) / SD(y)")
    assert "<table>" in (group / "table2.html").read_text()
    corr = pd.read_csv(group / "correlations.tsv", sep="\t")
    assert len(corr) == len(DTI_ROIS) * len(OUTCOMES) * 2
    for roi in DTI_ROIS:
        for outcome in OUTCOMES:
            for ext in ("png", "svg"):
                assert (results / "figures" / "dti" / f"roi-{roi}_outcome-{outcome}_scatter.{ext}").stat().st_size > 10_000


def planned_jobs(output: str) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans."""
    jobs, rule = set(), None
    for line in output.splitlines():
        if m := re.match(r"\s*(?:local)?(?:rule|checkpoint) (\w+):", line):
            if rule:
                jobs.add((rule, ""))
            rule = m.group(1)
        elif rule and (m := re.match(r"\s*wildcards: (.*)", line)):
            jobs.add((rule, m.group(1).strip()))
            rule = None
    if rule:
        jobs.add((rule, ""))
    return jobs


def test_seed_maps_for_every_subject_session_and_seed(first_run, tiny_bids):
    results = first_run / "results"
    truth = json.loads((tiny_bids / "truth.json").read_text())["rsfmri"]
    rois = {**CONFIG["rsfmri"]["seeds"]["regions"], **CONFIG["rsfmri"]["seeds"]["control"]}
    table = pd.read_csv(results / "rois" / "space-MNI152NLin2009cAsym_desc-seeds_dseg.tsv", sep="\t")
    assert list(table["name"]) == list(rois) and (table["voxels_in_template_brain"] >= 4).all()
    grid = truth["bold_grid"]
    target_z = []
    for sub, info in truth["subjects"].items():
        if sub in HELD_BACK:
            continue
        for ses in info["sessions"]:
            func = results / f"sub-{sub}" / f"ses-{ses}" / "func"
            stem = f"sub-{sub}_ses-{ses}_task-rest_space-MNI152NLin2009cAsym"
            for roi in rois:
                img = nib.load(func / f"{stem}_roi-{roi}_stat-z_boldmap.nii.gz")
                z = np.asarray(img.dataobj)
                assert z.shape == tuple(grid["shape"]) and np.allclose(img.affine, grid["affine"])
                assert np.isfinite(z).all() and np.abs(z).max() <= 4.0 and (z != 0).mean() > 0.2
            sidecar = json.loads((func / f"{stem}_desc-netcc_relmat.json").read_text())
            assert sidecar["Engine"] == "native" and set(sidecar["ROIVoxelsInMask"]) == set(rois)
            denoised = json.loads((func / f"{stem}_desc-denoised_bold.json").read_text())
            assert denoised["VolumesKept"] == sidecar["VolumesUsed"] <= grid["volumes"]
            assert not (func / f"{stem}_desc-denoised_bold.nii.gz").exists()  # temp: removed when used
            assert (results / f"sub-{sub}" / f"ses-{ses}" / "figures" / f"sub-{sub}_ses-{ses}_desc-fd_qc.png").exists()
            for seed, target in truth["targets"].items():  # each seed's planted target region
                z = np.asarray(nib.load(func / f"{stem}_roi-{seed}_stat-z_boldmap.nii.gz").dataobj)
                xyz = [*target["centres"][0], 1]
                target_z.append(z[tuple(np.rint(np.linalg.solve(grid["affine"], xyz)[:3]).astype(int))])
    # planted rho ~0.3 at each target centre; a null voxel's z has SD ~0.11 at 8 min, so the mean
    # over ~60 session x seed values is ~0 +- 0.015 without connectivity
    assert np.mean(target_z) > 0.1
    sample = sorted(results.glob("sub-r01/ses-*/figures/*_desc-seed*_qc.png"))
    assert len(sample) == len(rois) and all(p.stat().st_size > 20_000 for p in sample)
    assert (results / "figures" / "space-MNI152NLin2009cAsym_desc-seeds_qc.png").stat().st_size > 20_000


def test_group_lme_per_seed_on_every_usable_session(first_run, tiny_bids):
    """Per seed, the voxelwise LME ran on every session's map inside the group mask, with nlme's
    denominator df for the design it was given; on the null voxels p < 0.05 holds near 5 %."""
    group = first_run / "results" / "group" / "rsfmri"
    sessions = pd.read_csv(group / "desc-lme_sessions.tsv", sep="\t", dtype={"subject": str})
    truth = json.loads((tiny_bids / "truth.json").read_text())["rsfmri"]["subjects"]
    expected = {(s, ses) for s, info in truth.items() if s not in HELD_BACK for ses in info["sessions"]}
    assert set(zip(sessions.subject, sessions.session)) == expected and sessions.used.all()
    assert (sessions.group == [truth[s]["group"] for s in sessions.subject]).all()
    assert (sessions.order == [truth[s]["infusion_order"] for s in sessions.subject]).all()
    n_rows, n_subjects = len(sessions), sessions.subject.nunique()
    mask = np.asarray(nib.load(group / "space-MNI152NLin2009cAsym_desc-group_mask.nii.gz").dataobj) > 0
    for seed in RS_SEEDS:
        table = pd.read_csv(group / f"roi-{seed}_desc-lme_table.tsv", sep="\t", dtype={"subject": str})
        assert len(table) == n_rows and all((group / f).exists() for f in table.InputFile)
        stem = group / f"space-MNI152NLin2009cAsym_roi-{seed}_desc-lme"
        meta = json.loads(Path(f"{stem}_stats.json").read_text())
        assert meta["n_rows"] == n_rows and meta["n_subjects"] == n_subjects
        vols = meta["volumes"]
        f_gxt = vols.index({"term": "group:treatment", "stat": "F", "df_num": 1, "df_den": n_rows - n_subjects - 2})
        p_group = vols.index({"term": "group", "stat": "p", "df_num": 1, "df_den": n_subjects - 3})
        stats = np.asarray(nib.load(f"{stem}_stats.nii.gz").dataobj)
        fitmask = np.asarray(nib.load(f"{stem}_fitmask.nii.gz").dataobj)
        assert np.all(fitmask[mask] == 1) and np.all(fitmask[~mask] == 0)
        assert np.all(stats[mask, f_gxt] >= 0) and np.all(stats[~mask, f_gxt] == 0)
        assert 0.005 < np.mean(stats[mask, p_group] < 0.05) < 0.2  # no group effect planted (smooth maps)
        assert nib.load(f"{stem}_resid.nii.gz").shape[-1] == n_rows
        figure = group / "figures" / f"space-MNI152NLin2009cAsym_roi-{seed}_desc-lme_stats.png"
        assert figure.stat().st_size > 20_000


def test_clusters_per_seed_with_their_threshold_table_and_labels(first_run):
    """Per seed: the residuals' ACF, the simulated cluster-size table for it, and the clusters of
    group:treatment at p < 0.005 with at least ceil(C(0.005, 0.05)) voxels (NN1, 2-sided for the
    one-df term); the label map, table, summary and figure agree with each other."""
    group = first_run / "results" / "group" / "rsfmri"
    summary = pd.read_csv(group / "desc-clusters_summary.tsv", sep="\t")
    assert set(summary.seed) == set(RS_SEEDS)
    for seed in RS_SEEDS:
        stem = group / f"space-MNI152NLin2009cAsym_roi-{seed}_desc"
        acf = json.loads(Path(f"{stem}-lme_acf.json").read_text())
        a, b, c = acf["acf"]
        assert 0 < a < 1 and b > 0 and c > 0 and 2.0 < np.mean(acf["fwhm_xyz_mm"]) < 20.0
        assert Path(f"{stem}-lme_acf.txt").read_text().split() == [repr(v) for v in acf["acf"]]
        sim = json.loads(Path(f"{stem}-clustsim.json").read_text())
        assert sim["acf"] == acf["acf"] and sim["iterations"] == CLUSTSIM_ITERATIONS
        assert sim["mask_voxels"] == int((np.asarray(nib.load(f"{stem}-lmefit_mask.nii.gz").dataobj) > 0).sum())
        meta = json.loads(Path(f"{stem}-clusters.json").read_text())
        assert (meta["term"], meta["pthr"], meta["alpha"], meta["nn"], meta["sided"]) == (
            "group:treatment", 0.005, 0.05, 1, "2-sided")
        assert meta["min_voxels"] == int(np.ceil(sim["NN1"]["2-sided"]["0.005"]["0.05"] - 1e-9))
        labels = np.asarray(nib.load(f"{stem}-clusters_dseg.nii.gz").dataobj)
        table = pd.read_csv(f"{stem}-clusters.tsv", sep="\t")
        assert labels.max() == len(table) == meta["clusters"]
        assert list(np.bincount(labels.ravel())[1:]) == list(table.voxels)
        assert (table.voxels >= meta["min_voxels"]).all()
        stats = np.asarray(nib.load(f"{stem}-lme_stats.nii.gz").dataobj)
        volumes = json.loads(Path(f"{stem}-lme_stats.json").read_text())["volumes"]
        p = stats[..., volumes.index({"term": "group:treatment", "stat": "p", "df_num": 1,
                                      "df_den": meta["df_den"]})]
        assert np.all(p[labels > 0] < 0.005)
        rows = summary[summary.seed == seed]
        assert len(rows) == max(len(table), 1)
        every = pd.read_csv(f"{stem}-termclusters.tsv", sep="\t")
        terms = json.loads(Path(f"{stem}-termclusters.json").read_text())["terms"]
        assert list(terms) == ["group", "treatment", "order", "group:treatment"]
        assert {k: terms["group:treatment"][k] for k in ("sided", "min_voxels", "clusters")} == {
            k: meta[k] for k in ("sided", "min_voxels", "clusters")}
        interaction = every[every.term == "group:treatment"].drop(columns="term").reset_index(drop=True)
        assert list(interaction.voxels) == list(table.voxels)
        assert len(every) == sum(t["clusters"] for t in terms.values())
        figure = group / "figures" / f"space-MNI152NLin2009cAsym_roi-{seed}_desc-clusters.png"
        assert figure.stat().st_size > 10_000


def test_roi_followups_write_every_table_and_figure(first_run, tiny_bids):
    """Seed-to-V1 and cluster connectivity, CRP and symptoms: every table and figure of the
    follow-ups, values recomputed here from the maps and the phenotype files."""
    group = first_run / "results" / "group" / "rsfmri"
    sessions = pd.read_csv(group / "desc-lme_sessions.tsv", sep="\t", dtype={"subject": str})
    used = sessions[sessions.used]
    control = pd.read_csv(group / "desc-controlroi_fc.tsv", sep="\t", dtype={"subject": str})
    assert len(control) == len(used) * len(RS_SEEDS) and set(control.roi) == {"V1"}
    labels = np.asarray(nib.load(first_run / "results" / "rois" / "space-MNI152NLin2009cAsym_desc-seeds_dseg.nii.gz").dataobj)
    index = pd.read_csv(first_run / "results" / "rois" / "space-MNI152NLin2009cAsym_desc-seeds_dseg.tsv", sep="\t")
    mask = np.asarray(nib.load(group / "space-MNI152NLin2009cAsym_desc-group_mask.nii.gz").dataobj) > 0
    v1 = (labels == int(index.loc[index.name == "V1", "index"].iloc[0])) & mask
    row = control.iloc[-1]
    zmap = np.asarray(nib.load(first_run / "results" / f"sub-{row.subject}" / f"ses-{row.session}" / "func" /
                               f"sub-{row.subject}_ses-{row.session}_task-rest_space-MNI152NLin2009cAsym_roi-"
                               f"{row.seed}_stat-z_boldmap.nii.gz").dataobj)
    assert row.z == pytest.approx(zmap[v1].mean(), rel=1e-6) and row.n_voxels == v1.sum()
    lme = pd.read_csv(group / "desc-controlroi_lme.tsv", sep="\t")
    assert len(lme) == 3 * len(RS_SEEDS) and set(lme.term) == {"group", "treatment", "group:treatment"}
    assert (lme.n_rows == len(used)).all() and lme.F.notna().all() and lme.p.between(0, 1).all()
    for name in ("controlroi_lme_coefficients", "controlroi_lme_emmeans", "crp_lme_coefficients", "crp_lme_emmeans"):
        assert len(pd.read_csv(group / f"desc-{name}.tsv", sep="\t")) > 0, name
    clinical = pd.read_csv(group / "desc-clinical_sessions.tsv", sep="\t", dtype={"subject": str})
    phenotype = pd.concat([pd.read_csv(p, sep="\t").assign(subject=p.parent.name[4:])
                           for p in sorted((first_run / "bids").glob("sub-r*/sub-r*_sessions.tsv"))])
    phenotype["session"] = phenotype.session_id.str[4:]
    merged = clinical.merge(phenotype, on=["subject", "session"], suffixes=("", "_raw"))
    assert len(merged) == len(clinical) == len(phenotype)
    assert np.allclose(merged.crp_day1, merged.crp_day1_raw) and np.allclose(merged.log_crp_day1, np.log(merged.crp_day1_raw))
    crp = pd.read_csv(group / "desc-crp_lme.tsv", sep="\t")
    assert list(crp.term) == ["group", "treatment", "group:treatment"] and (crp.n_rows == len(clinical)).all()
    summary = pd.read_csv(group / "desc-clusters_summary.tsv", sep="\t")
    n_clusters = int(summary.cluster.notna().sum())
    cluster_fc = pd.read_csv(group / "desc-clusters_fc.tsv", sep="\t")
    assert len(cluster_fc) == n_clusters * len(used)
    changes = pd.read_csv(group / "desc-clusters_changes.tsv", sep="\t")
    both = used.groupby("subject").session.nunique().eq(2).sum()
    assert len(changes) == n_clusters * both
    correlations = pd.read_csv(group / "desc-crp_correlations.tsv", sep="\t")
    assert len(correlations) == 2 * n_clusters
    assert len(pd.read_csv(group / "desc-crp_fisherz.tsv", sep="\t")) == n_clusters
    posthoc = pd.read_csv(group / "desc-clusters_posthoc.tsv", sep="\t")
    assert len(posthoc) == 2 * n_clusters and set(posthoc.group) <= {"TRD", "HV"}
    if not n_clusters:
        assert "no cluster" in json.loads((group / "desc-clusters_posthoc.json").read_text())["reason"]
    symptoms = pd.read_csv(group / "desc-symptoms_correlations.tsv", sep="\t")
    assert len(symptoms) == 4 * n_clusters and set(symptoms.group) <= {"TRD"}
    for figure in ("clusters_boxplot", "controlroi_boxplot", "crp_scatter", "symptoms_scatter"):
        assert (group / "figures" / f"desc-{figure}.png").stat().st_size > 5_000, figure
        assert (group / "figures" / f"desc-{figure}.svg").read_text().lstrip().startswith("<?xml"), figure


def test_nothing_to_do_after_a_complete_run(first_run):
    out = snakemake(first_run, "-n").stdout
    assert planned_jobs(out) == set() and "Nothing to be done" in out


def test_new_subjects_plan_only_their_jobs_and_the_group_jobs(arrived):
    """A dry run cannot run the input checks, so it plans every session of the new subjects."""
    jobs = planned_jobs(snakemake(arrived.work, "-n").stdout)
    dti_subject, = [s for s in HELD_BACK if s.startswith("d")]
    per_session = {(rule, f"subject={dti_subject}, session={ses}") for ses in ("pre", "post") for rule in (
        "correct_dwi", "compute_dwi_reference", "fit_tensor", "warp_dti_to_template", "plot_dti_qc")}
    per_subject = {(rule, f"subject={dti_subject}") for rule in (
        "register_sessions", "register_dwi_to_t1w", "register_t1w_to_template")}
    rs_subject, = [s for s in HELD_BACK if s.startswith("r")]
    per_session |= {(rule, f"subject={rs_subject}, session={ses}") for ses in ("ketamine", "placebo")
                    for rule in ("denoise_bold", "seed_maps")}
    figures = {("plot_dti_scatter", f"roi={roi}, outcome={outcome}") for roi in DTI_ROIS for outcome in OUTCOMES}
    group = {(rule, "") for rule in ("extract_roi_md", "build_dti_table", "test_dti_groups", "fit_dti_models",
                                     "collect_dwi_outliers", "rs_group_sessions")}
    group |= {(rule, f"seed={seed}") for seed in RS_SEEDS for rule in (
        "lme_table", "group_lme", "plot_group_lme", "lme_fit_mask", "fwhmx", "clustsim", "clusters", "term_clusters",
        "plot_clusters")}
    group |= {(rule, "") for rule in ("cluster_summary", "control_fc", "cluster_fc", "clinical_sessions", "control_lme",
                                     "crp_lme", "followup_correlations", "cluster_posthoc", "plot_followup")}
    assert jobs == {("check_subject_inputs", f"subject={s}") for s in HELD_BACK} | per_session | per_subject | {
        ("collect_scores", ""), ("check_phenotype", ""), ("collect_input_qc", ""), ("provenance", ""), ("all", "")} | \
        group | figures


def test_bad_config_stops_before_any_job_naming_key_value_and_choices(first_run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((first_run / "config.yaml").read_text() + "dti:\n  engines:\n    tensor: dipy\n")
    proc = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", first_run, "--configfile", bad, "-n"], check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "'dipy' is not one of ['native', 'fsl']" in message and "['dti']['engines']['tensor']" in message


def test_snakefmt_and_lint_are_clean_on_a_fresh_clone(tmp_path):
    """As the Snakemake workflow catalog checks a workflow (and `make lint`): in a clone with no
    dataset, `snakefmt --check .` and `snakemake --lint` with the default config pass, while any
    real use of that config stops, naming the missing dataset."""
    clone = tmp_path / "clone"
    files = run(["git", "ls-files", "-co", "--exclude-standard"]).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    assert not (clone / "demo").exists()
    run([BIN / "snakefmt", "--check", "."], cwd=clone)
    lint = run([BIN / "snakemake", "--lint"], cwd=clone)
    assert "Congratulations" in lint.stdout + lint.stderr
    dry = run([BIN / "snakemake", "-n"], cwd=clone, check=False)
    assert dry.returncode != 0 and "config bids_dir: demo/bids does not exist" in dry.stdout + dry.stderr


def test_broken_sessions_of_new_subjects_are_excluded_and_everything_else_finishes(new_subjects_run):
    """A truncated DWI (d08 post) and a BOLD with a NaN (r08 placebo) arrive with the held-back
    subjects: without --keep-going the run finishes, the two sessions are exclusion rows naming the
    file and the fault, the subjects' good sessions are analysed and the group results use the rest."""
    results, dwi, bold = new_subjects_run.work / "results", new_subjects_run.broken_dwi, new_subjects_run.broken_bold
    lme_sidecar = results / "group" / "rsfmri" / "space-MNI152NLin2009cAsym_roi-VS_desc-lme_stats.json"
    lme_before = new_subjects_run.lme_before
    excl = pd.read_csv(results / "exclusions.tsv", sep="\t", keep_default_na=False)
    rows = {(r.subject, r.session, r.step): r.reason for r in excl.itertuples()}
    assert rows[("d08", "post", "input_qc")].startswith(f"{dwi.name}: the data cannot be read to the end")
    assert "truncated or corrupt; copy it again" in rows[("d08", "post", "input_qc")]
    assert rows[("r08", "placebo", "input_qc")] == f"{bold.name}: 1 voxel value is NaN or Inf; re-export the " \
        "image or mask them out before the analysis"
    qc = pd.read_csv(results / "input_qc.tsv", sep="\t", keep_default_na=False)
    assert set(qc.loc[qc.status == "fail", "file"]) == {dwi.name, bold.name}
    # the good sessions went on; the broken ones made nothing
    stem = results / "sub-d08" / "ses-{}" / "dwi" / "sub-d08_ses-{}_space-MNI152NLin2009aSym_res-2_param-md_dwimap.nii.gz"
    assert Path(str(stem).format("pre", "pre")).exists() and not Path(str(stem).format("post", "post")).exists()
    z = "sub-r08/ses-{0}/func/sub-r08_ses-{0}_task-rest_space-MNI152NLin2009cAsym_roi-VS_stat-z_boldmap.nii.gz"
    assert (results / z.format("ketamine")).exists() and not (results / z.format("placebo")).exists()
    # group results: d08 (no post) is not in the DTI models, r08 ketamine is in the LME
    table = pd.read_csv(results / "group" / "dti" / "analysis_table.tsv", sep="\t", dtype={"subject": str})
    assert "d08" not in set(table.subject) and table.subject.nunique() == 7
    models = pd.read_csv(results / "group" / "dti" / "table2.tsv", sep="\t")
    assert set(models["n"].dropna()) <= set(range(1, 8)) and models["n"].max() == 7
    sessions = pd.read_csv(results / "group" / "rsfmri" / "desc-lme_sessions.tsv", sep="\t", dtype=str)
    assert ("r08", "ketamine") in set(zip(sessions.subject, sessions.session))
    assert ("r08", "placebo") not in set(zip(sessions.subject, sessions.session))
    lme = json.loads(lme_sidecar.read_text())
    assert (lme["n_subjects"], lme["n_rows"]) == (lme_before["n_subjects"] + 1, lme_before["n_rows"] + 1)
