"""Both arms end to end on a dataset laid out as a lab's own comes (tests/foreign_dataset.py), with
the config a user would write: phenotype/ tables, a group column per arm, numeric zero-padded
labels, LAS-stored DWI with a b0-only reverse-PE series in fmap/, fMRIPrep res-2 names and
confounds without DVARS or the squared and derivative columns, a missing session per arm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from foreign_dataset import DTI_LABELS, RS_LABELS
from helpers import digests

from trialmri.io import read_tsv


@pytest.fixture(scope="module")
def foreign_run(foreign_started) -> Path:
    """The foreign-layout run, started in the background when the tier began (conftest.py), waited
    for here: it must finish and leave its input dataset as it was."""
    work, proc, before = foreign_started
    code = proc.wait()
    log = (work / "snakemake.log").read_text(errors="replace")
    assert code == 0, f"the run on the foreign layout failed:\n{log[-6000:]}"
    assert digests(work / "bids") == before, "the workflow wrote into the input dataset"
    return work


def test_both_arms_run_with_labels_kept_as_text(foreign_run):
    results = foreign_run / "results"
    table = read_tsv(results / "group" / "dti" / "analysis_table.tsv")
    assert set(table["subject"]) == set(DTI_LABELS.values()) - {"006"}  # 006 has no pre session
    exclusions = read_tsv(results / "exclusions.tsv")
    missing = {(r.subject, r.session) for r in exclusions.itertuples() if "missing" in r.reason}
    assert {("006", "pre"), ("290", "placebo")} <= missing
    lme_sessions = read_tsv(results / "group" / "rsfmri" / "desc-lme_sessions.tsv")
    assert set(lme_sessions["subject"]) == set(RS_LABELS.values())
    assert ("290", "placebo") not in set(zip(lme_sessions["subject"], lme_sessions["session"]))
    assert (results / "group" / "dti" / "table2.tsv").exists()
    assert list((results / "group" / "rsfmri").glob("*clusters*.tsv"))


def test_scores_come_from_the_wide_and_long_phenotype_tables(foreign_run, tiny_bids):
    """Δscores against the tiny trial's own sessions files (the source the tables were made from)."""
    table = read_tsv(foreign_run / "results" / "group" / "dti" / "analysis_table.tsv").drop_duplicates("subject")
    for old, new in DTI_LABELS.items():
        if new == "006":
            continue
        src = read_tsv(tiny_bids / f"sub-{old}" / f"sub-{old}_sessions.tsv").set_index("session_id")
        row = table.set_index("subject").loc[new]
        assert row["delta_madrs"] == pytest.approx(src.loc["ses-pre", "madrs"] - src.loc["ses-post", "madrs"])
        assert row["delta_qids_sr"] == pytest.approx(src.loc["ses-pre", "qids_sr"] - src.loc["ses-post", "qids_sr"])
    clinical = read_tsv(foreign_run / "results" / "group" / "rsfmri" / "desc-clinical_sessions.tsv")
    for old, new in RS_LABELS.items():
        src = read_tsv(tiny_bids / f"sub-{old}" / f"sub-{old}_sessions.tsv").set_index("session_id")
        for row in clinical[clinical["subject"] == new].itertuples():
            assert row.crp_day1 == pytest.approx(src.loc[f"ses-{row.session}", "crp_day1"])
    meta = json.loads((foreign_run / "results" / "phenotype" / "scores.json").read_text())
    assert meta["crp_day1"]["Units"] == "mg/L" and "phenotype/crp.tsv" in meta["crp_day1"]["Source"]


def test_fmap_and_las_dwi_give_the_md_of_the_full_pa_layout(foreign_run, first_run):
    """ROI MD per subject and session from the LAS, fmap-b0 layout against the first run's (RAS, full
    PA series; the same images otherwise): the layouts must not change the answer beyond what the
    PA series' DW volumes add (the first run averages both series' DW volumes)."""
    ours = read_tsv(foreign_run / "results" / "group" / "dti" / "roi_md.tsv")
    theirs = read_tsv(first_run / "results" / "group" / "dti" / "roi_md.tsv")
    theirs["subject"] = theirs["subject"].map(DTI_LABELS)
    both = ours.merge(theirs, on=["subject", "session", "roi"], suffixes=("", "_full"))
    assert len(both) >= 10
    error = (both["md"] / both["md_full"] - 1).abs()
    print(f"ROI MD, fmap-b0 LAS layout vs full-PA RAS: median {error.median():.2%}, max {error.max():.2%}")
    assert error.max() < 0.03


def test_computed_confounds_are_recorded(foreign_run):
    sidecars = sorted((foreign_run / "results").glob("sub-*/ses-*/func/*desc-denoised_bold.json"))
    assert len(sidecars) == 11  # 6 subjects x 2 sessions, sub-290's placebo missing
    meta = json.loads(sidecars[0].read_text())
    assert any("_res-2_desc-preproc_bold" in source for source in meta["Sources"])
    computed = meta["ComputedConfounds"]
    assert "std_dvars" in computed and "trans_x_derivative1_power2" in computed
