"""Layouts a lab's dataset comes in: a group column per arm, numeric labels, several BOLD runs or
resolutions, and settings that select nothing (which stop the run with the config key to fix)."""

import shutil

import pytest
from helpers import make_bold, make_dataset, make_dti_subject

from trialmri.bids.discovery import discover
from trialmri.bids.selection_checks import selection_problems


def two_arm_trial(tmp_path):
    """sub-001 (DTI) and sub-290, sub-047 (rsfMRI) with one group column per arm."""
    root = make_dataset(tmp_path / "bids", [])
    (root / "participants.tsv").write_text("participant_id\tgroup_dti\tgroup_fc\n"
                                           "sub-001\tketamine\tn/a\nsub-290\tn/a\tTRD\nsub-047\tn/a\tHV\n")
    make_dti_subject(root, "001")
    fmriprep = root / "derivatives" / "fmriprep"
    for sub in ("290", "047"):
        for ses in ("ketamine", "placebo"):
            make_bold(fmriprep, sub, ses)
    return root


def test_a_group_column_per_arm_and_numeric_labels_kept_as_text(tmp_path):
    root = two_arm_trial(tmp_path)
    inv = discover(root, dti_group_column="group_dti", rs_group_column="group_fc")
    assert inv.dti_subjects == ["001"] and inv.rsfmri_subjects == ["047", "290"]
    assert inv.exclusions == []
    # one column for both arms: a DTI subject's n/a in the rsfMRI column does not matter, but the
    # arm whose column lacks its subjects' groups says which column and config key
    inv = discover(root, group_column="group_dti")
    assert inv.dti_subjects == ["001"] and inv.rsfmri_subjects == []
    assert any("'group_dti'" in e.reason and "n/a" in e.reason for e in inv.exclusions if e.subject == "290")


def test_several_runs_or_resolutions_are_chosen_in_config_or_listed(tmp_path):
    root = two_arm_trial(tmp_path)
    func = root / "derivatives" / "fmriprep" / "sub-290" / "ses-ketamine" / "func"
    bold = next(func.glob("*desc-preproc_bold.nii.gz"))
    shutil.copy(bold, func / bold.name.replace("_space-MNI152NLin2009cAsym_", "_space-MNI152NLin2009cAsym_res-1_"))
    bold.rename(func / bold.name.replace("_space-MNI152NLin2009cAsym_", "_space-MNI152NLin2009cAsym_res-2_"))
    with pytest.raises(ValueError, match=r"sub-290 ses-ketamine has 2 preprocessed BOLD.*res-1.*res-2.*"
                                         r"rsfmri.resolution"):
        discover(root, rs_group_column="group_fc")
    inv = discover(root, rs_group_column="group_fc", resolution="2")
    assert "res-2" in inv.bold["290"]["ketamine"]["bold"]
    assert any("res-2" in e.reason and "rsfmri.resolution" in e.reason for e in inv.exclusions if e.subject == "047")


def test_runs_pick_their_own_confounds(tmp_path):
    root = two_arm_trial(tmp_path)
    func = root / "derivatives" / "fmriprep" / "sub-047" / "ses-placebo" / "func"
    for path in sorted(func.iterdir()):
        for run in ("1", "2"):
            shutil.copy(path, func / path.name.replace("_task-rest_", f"_task-rest_run-{run}_"))
        path.unlink()
    with pytest.raises(ValueError, match="rsfmri.run"):
        discover(root, rs_group_column="group_fc")
    parts = discover(root, rs_group_column="group_fc", run="2").bold["047"]["placebo"]
    assert "run-2" in parts["bold"] and "run-2" in parts["confounds"]


def test_settings_that_select_nothing_are_named(tmp_path):
    root = two_arm_trial(tmp_path)

    def problems(**kw):
        args = {"fmriprep_dir_configured": False, "task": "rest", "space": "MNI152NLin2009cAsym"} | kw
        inv = discover(root, dti_group_column="group_dti", rs_group_column="group_fc",
                       participant_label=kw.pop("participant_label", ()))
        return "\n".join(selection_problems(inv, **args))

    assert problems() == ""
    assert "config rsfmri.space: no preprocessed BOLD of task rest in space MNI152NLin6Asym" in \
        problems(space="MNI152NLin6Asym")
    assert "config participant_label: 1, 290x match no subject" in problems(participant_label=["1", "290x"])
    inv = discover(root, str(tmp_path / "fmriprep_typo"), dti_group_column="group_dti")
    assert "config fmriprep_dir:" in "\n".join(selection_problems(
        inv, fmriprep_dir_configured=True, task="rest", space="MNI152NLin2009cAsym"))
    inv = discover(root, dti_groups=("ketamine_high", "vehicle"), dti_group_column="group_dti",
                   rs_group_column="group_fc")
    message = "\n".join(selection_problems(inv, fmriprep_dir_configured=False, task="rest",
                                           space="MNI152NLin2009cAsym"))
    assert "every DTI subject with images (1) was left out" in message and "'ketamine'" in message
