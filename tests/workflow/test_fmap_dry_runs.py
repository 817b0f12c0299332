"""Dry runs on the tiny trial with one subject's reverse phase encoding as b0-only series in fmap/
(``dir-PA_epi`` with IntendedFor the AP DWI, both sessions): correct_dwi is planned on the AP series
and the fmap b0s, by the native engine and by the FSL engine (topup on the AP b0s + the fmap b0s,
eddy on the AP series alone); the other subjects keep the full-PA layout."""

import os
import re
import shutil

import pytest
from helpers import dry_run, dwi_to_fmap

SUBJECT = "d01"
N_SESSIONS = 2 * 8  # the tiny trial's DTI sessions, d01's included


@pytest.fixture
def fmap_bids(tiny_bids, tmp_path):
    """The tiny trial (files linked, not copied) with sub-d01's PA DWI series replaced by its b0s in fmap/."""
    bids = tmp_path / "bids"
    shutil.copytree(tiny_bids, bids, copy_function=os.symlink)
    for ses in ("pre", "post"):
        dwi_to_fmap(bids, SUBJECT, ses)
    work = tmp_path / "work"
    work.mkdir()
    return bids, work


def job(out, rule, session, subject=SUBJECT) -> str:
    """The one planned job of ``rule`` for ``subject``/``session``: its block of the dry run's output
    (from its timestamp line to the next), shell command included."""
    blocks = re.split(r"^\s*\[\w{3} \w{3} +\d+ [\d:]+ \d{4}\]\s*$", out, flags=re.M)
    found = [b for b in blocks if re.search(rf"^\s*(local)?rule {rule}:", b, re.M)
             and re.search(rf"wildcards: subject={subject}, session={session}\b", b)]
    assert len(found) == 1, (rule, subject, session, len(found))
    return found[0]


def inputs(block) -> list[str]:
    return re.search(r"^\s*input: (.*)$", block, re.M)[1].split(", ")


def raw(bids, session, name, subject=SUBJECT, datatype="dwi"):
    return str(bids / f"sub-{subject}" / f"ses-{session}" / datatype / f"sub-{subject}_ses-{session}_{name}")


def test_native_correction_plans_the_ap_series_and_the_fmap_b0s(fmap_bids):
    bids, work = fmap_bids
    out, counts = dry_run(bids, work, "")
    assert counts["correct_dwi"] == str(N_SESSIONS), counts
    for ses in ("pre", "post"):
        assert inputs(job(out, "correct_dwi", ses)) == [
            *(raw(bids, ses, f"dir-AP_dwi{ext}") for ext in (".nii.gz", ".bval", ".bvec", ".json")),
            raw(bids, ses, "dir-PA_epi.nii.gz", datatype="fmap"), raw(bids, ses, "dir-PA_epi.json", datatype="fmap")]
    other = inputs(job(out, "correct_dwi", "pre", "d02"))  # the full-PA layout beside it, as before
    assert len(other) == 8 and raw(bids, "pre", "dir-PA_dwi.bval", "d02") in other


def test_fsl_correction_runs_topup_on_both_b0_sets_and_eddy_on_ap_alone(fmap_bids):
    bids, work = fmap_bids
    out, counts = dry_run(bids, work, "dti:\n  engines: {topup: fsl, eddy: fsl}\n")
    assert counts["prepare_fsl_corrections"] == counts["correct_dwi"] == str(N_SESSIONS), counts
    for ses in ("pre", "post"):
        ap, epi = raw(bids, ses, "dir-AP_dwi.nii.gz"), raw(bids, ses, "dir-PA_epi.nii.gz", datatype="fmap")
        prepare = inputs(job(out, "prepare_fsl_corrections", ses))
        assert epi in prepare and len(prepare) == 6 and not any("dir-PA_dwi" in p for p in prepare)
        command = job(out, "correct_dwi", ses).split("Shell command: ", 1)[1]
        merged = re.search(r"fslmerge -t (\S+) (\S+) (\S+) &&", command)
        assert merged.groups()[1:] == (ap, epi)  # topup's b0s are picked from AP + the fmap b0s
        assert re.search(rf"fslselectvols -i {merged[1]} -o (\S+_fslwork_b0s) .* topup --imain=\1 ", command)
        assert re.search(r"eddy_openmp --imain=(\S+) ", command)[1] == ap  # the AP series alone (FSL 6.0.4)
        assert re.search(r"--bvals=(\S+) ", command)[1].endswith(f"ses-{ses}_desc-merged_dwi.bval")  # AP's (prepare)
    full = job(out, "correct_dwi", "pre", "d02").split("Shell command: ", 1)[1]
    assert re.search(r"eddy_openmp --imain=\S+sub-d02_ses-pre_fslwork_merged ", full)  # full-PA: both series merged
