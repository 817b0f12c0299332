"""The Snakemake workflow on the tiny synthetic trial: outputs, exclusions, incremental reruns, lint."""

import json
import re
import shutil

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import BIN, ROOT, run

from test_synth import digests

pytestmark = pytest.mark.workflow
HELD_BACK = ("d08", "r08")  # subjects whose files "arrive" after the first run


def snakemake(work, *args, check=True):
    return run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
                *args], check=check)


@pytest.fixture(scope="module")
def first_run(tiny_bids, tmp_path_factory):
    """A complete run on the tiny trial with two subjects' images held back."""
    work = tmp_path_factory.mktemp("workflow")
    bids = work / "bids"
    shutil.copytree(tiny_bids, bids)
    for sub in HELD_BACK:
        for folder in (bids, bids / "derivatives" / "fmriprep"):
            if (folder / f"sub-{sub}").exists():
                shutil.move(folder / f"sub-{sub}", work / "held" / folder.relative_to(bids) / f"sub-{sub}")
    (work / "config.yaml").write_text(f"bids_dir: {bids}\noutput_dir: {work / 'results'}\n")
    before = digests(bids)
    snakemake(work, "--cores", "2")
    assert digests(bids) == before, "the workflow wrote into the input dataset"
    return work


def test_outputs_and_exclusions(first_run, tiny_bids):
    results = first_run / "results"
    description = json.loads((results / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"][0]["Name"] == "trialmri" and "tensor=native" in description["GeneratedBy"][0]["Description"]
    qc = pd.read_csv(results / "input_qc.tsv", sep="\t", keep_default_na=False)
    assert set(qc["status"]) == {"pass"}, qc[qc["status"] != "pass"]
    assert len(set(qc["subject"]) - {"n/a"}) == 14  # 16 minus the two held back
    assert {"column madrs", "crp_day1 numeric", "unique participant_id"} <= set(qc["check"])
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


def planned_jobs(output: str) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans."""
    jobs, rule = set(), None
    for line in output.splitlines():
        if m := re.match(r"\s*(?:local)?rule (\w+):", line):
            if rule:
                jobs.add((rule, ""))
            rule = m.group(1)
        elif rule and (m := re.match(r"\s*wildcards: (.*)", line)):
            jobs.add((rule, m.group(1).strip()))
            rule = None
    if rule:
        jobs.add((rule, ""))
    return jobs


def test_nothing_to_do_after_a_complete_run(first_run):
    out = snakemake(first_run, "-n").stdout
    assert planned_jobs(out) == set() and "Nothing to be done" in out


def test_new_subjects_plan_only_their_jobs_and_the_group_jobs(first_run):
    held = first_run / "held"
    for path in sorted(held.rglob("sub-*")):
        if path.is_dir() and path.parent.name in ("held", "fmriprep"):
            shutil.move(path, first_run / "bids" / path.relative_to(held))
    jobs = planned_jobs(snakemake(first_run, "-n").stdout)
    dti_subject, = [s for s in HELD_BACK if s.startswith("d")]
    per_session = {(rule, f"subject={dti_subject}, session={ses}") for ses in ("pre", "post") for rule in (
        "combine_dwi_series", "compute_dwi_reference", "fit_tensor", "warp_dti_to_template", "plot_dti_qc")}
    per_subject = {(rule, f"subject={dti_subject}") for rule in (
        "register_sessions", "register_dwi_to_t1w", "register_t1w_to_template")}
    assert jobs == {("check_subject_inputs", f"subject={s}") for s in HELD_BACK} | per_session | per_subject | {
        ("check_phenotype", ""), ("collect_input_qc", ""), ("all", "")}


def test_bad_config_stops_before_any_job_naming_key_value_and_choices(first_run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((first_run / "config.yaml").read_text() + "dti:\n  engines:\n    tensor: dipy\n")
    proc = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", first_run, "--configfile", bad, "-n"], check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert "'dipy' is not one of ['native', 'fsl']" in message and "['dti']['engines']['tensor']" in message


def test_snakefmt_and_lint_are_clean(first_run):
    run([BIN / "snakefmt", "--check", "Snakefile", "rules"])
    out = snakemake(first_run, "--lint")
    assert "Congratulations" in out.stdout + out.stderr
