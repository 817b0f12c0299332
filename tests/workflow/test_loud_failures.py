"""Settings that select nothing, and an arm whose every session fails its input checks, stop the run
before its first analysis job with one message naming the config key; one bad subject does not."""

import pytest
from helpers import BIN, ROOT, make_bold, make_dataset, run, snakemake, write_config

STUDY_SPACE = "MNI152NLin2009cAsym"


def plan(bids, work, extra=""):
    """``snakemake -n`` on ``bids`` with ``extra`` config: the completed process (not checked)."""
    write_config(work, bids, extra)
    return run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
                "-n"], check=False)


@pytest.mark.parametrize("extra, message", [
    ("rsfmri: {space: MNI152NLin6Asym}\n",
     "config rsfmri.space: no preprocessed BOLD of task rest in space MNI152NLin6Asym under"),
    ("participant_label: [d1, r09]\n", "config participant_label: d1, r09 match no subject"),
    ("phenotype: {scores: {crp: {table: phenotype/crp.tsv, column: crp}}}\n",
     "config rsfmri.followup.crp.score names the score 'crp_day1', which phenotype.scores does not define"),
])
def test_a_setting_that_selects_nothing_stops_the_plan(tiny_bids, tmp_path, extra, message):
    """(A missing fmriprep_dir and groups that match no subject: tests/unit/test_discovery_layouts.py.)"""
    proc = plan(tiny_bids, tmp_path, extra)
    assert proc.returncode != 0 and message in proc.stderr + proc.stdout, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_a_missing_bids_dir_names_the_key(tmp_path):
    proc = plan(tmp_path / "no-such-dataset", tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "config bids_dir: " in out and "does not exist" in out


def test_every_session_failing_one_check_stops_before_any_analysis(tmp_path):
    """Four rsfMRI sessions whose confounds lack the motion parameters: each fails the check, and the
    run stops after the checks (no denoising job starts) naming the check and the config key."""
    bids = make_dataset(tmp_path / "bids", [("r1", "TRD"), ("r2", "HV")])
    for sub in ("r1", "r2"):
        for ses in ("ketamine", "placebo"):
            make_bold(bids / "derivatives" / "fmriprep", sub, ses, n_vol=8)
    write_config(tmp_path, bids, "")
    proc = snakemake(tmp_path, "--cores", "2", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "every rsfMRI session failed the input checks (4 of 4), 4 of them the check 'denoising columns'" in out
    assert "config rsfmri.denoise" in out
    assert "rule denoise_bold" not in out and (tmp_path / "results" / "logs" / "collect_input_qc").exists()
