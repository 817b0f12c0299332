"""Discovery turns whatever is missing into exclusion rows and keeps the rest."""

from helpers import make_bold, make_dataset, make_dti_subject

from trialmri.bids.discovery import discover


full_dti_subject = make_dti_subject


def reasons(inv):
    return {(e.subject, e.session, e.step): e.reason for e in inv.exclusions}


def test_complete_and_incomplete_dti_subjects(tmp_path):
    root = make_dataset(tmp_path / "bids", [("d1", "ketamine"), ("d2", "vehicle"), ("d3", "ketamine"),
                                            ("d4", "ketamine"), ("d5", "placebo")])
    for sub in ("d1", "d2", "d3", "d4", "d5"):
        full_dti_subject(root, sub)
    (root / "sub-d2" / "ses-post" / "dwi" / "sub-d2_ses-post_dir-PA_dwi.nii.gz").unlink()  # no PA
    for f in (root / "sub-d3" / "ses-post" / "dwi").iterdir():  # whole session missing
        f.unlink()
    (root / "sub-d4" / "ses-pre" / "dwi" / "sub-d4_ses-pre_dir-AP_dwi.bvec").unlink()
    inv = discover(root)
    why = reasons(inv)
    assert inv.dti_subjects == ["d1", "d2", "d3", "d4"]
    assert set(inv.dwi["d1"]) == {"pre", "post"} and set(inv.dwi["d1"]["pre"]) == {"AP", "PA"}
    assert "no dir-PA" in why[("d2", "post", "dwi")] and "post" not in inv.dwi["d2"]
    assert "session post missing" in why[("d3", "post", "dti")]
    assert ".bvec" in why[("d4", "pre", "dwi")]
    assert "'placebo'" in why[("d5", "n/a", "dti")] and "d5" not in inv.dti_subjects
    files = inv.subject_files("d1")
    assert files["dwi_pre_AP_bval"].endswith("sub-d1_ses-pre_dir-AP_dwi.bval") and "t1w" in files
    assert len(inv.exclusions) == 4


def test_participant_filters_and_participants_table_mismatches(tmp_path):
    root = make_dataset(tmp_path / "bids", [("d1", "ketamine"), ("d2", "vehicle"), ("d9", "vehicle")])
    for sub in ("d1", "d2", "d3"):
        full_dti_subject(root, sub)
    why = reasons(discover(root))
    assert "not in participants.tsv" in why[("d3", "n/a", "phenotype")]
    assert "no images" in why[("d9", "n/a", "inputs")]
    inv = discover(root, participant_label=["d1", "d2"], exclude_participant_label=["d2"])
    assert inv.dti_subjects == ["d1"]
    assert "exclude_participant_label" in reasons(inv)[("d2", "n/a", "config")]
    assert ("d3", "n/a", "phenotype") not in reasons(inv)  # filtered out by participant_label


def test_rsfmri_sessions_from_fmriprep_derivatives(tmp_path):
    root = make_dataset(tmp_path / "bids", [("r1", "TRD"), ("r2", "HV"), ("r3", "HV")])
    fmriprep = root / "derivatives" / "fmriprep"
    make_bold(fmriprep, "r1", "ketamine")
    make_bold(fmriprep, "r1", "placebo")
    make_bold(fmriprep, "r2", "ketamine")  # placebo scan missing: normal in a crossover
    make_bold(fmriprep, "r3", "ketamine")
    (fmriprep / "sub-r3" / "ses-ketamine" / "func" / "sub-r3_ses-ketamine_task-rest_desc-confounds_timeseries.tsv").unlink()
    inv = discover(root)
    why = reasons(inv)
    assert inv.rsfmri_subjects == ["r1", "r2"]
    assert set(inv.bold["r1"]) == {"ketamine", "placebo"} and set(inv.bold["r2"]) == {"ketamine"}
    assert "session placebo missing" in why[("r2", "placebo", "rsfmri")]
    assert "confounds" in why[("r3", "ketamine", "rsfmri")]


def test_not_a_bids_dataset_names_the_folder_and_fix(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="set bids_dir"):
        discover(tmp_path)


def test_non_bids_subject_label_and_bold_in_another_space_are_named(tmp_path):
    root = make_dataset(tmp_path / "bids", [("d1", "ketamine"), ("r1", "TRD"), ("r2", "HV")])
    full_dti_subject(root, "d1")
    (root / "sub-d1").rename(root / "sub-d_1")  # an underscore: not a BIDS label
    fmriprep = root / "derivatives" / "fmriprep"
    make_bold(fmriprep, "r1", "ketamine")
    make_bold(fmriprep, "r2", "ketamine")
    func = fmriprep / "sub-r2" / "ses-ketamine" / "func"
    for f in func.glob("*space-MNI152NLin2009cAsym*"):
        f.rename(func / f.name.replace("MNI152NLin2009cAsym", "T1w"))
    inv = discover(root)
    why = reasons(inv)
    assert inv.dti_subjects == [] and inv.rsfmri_subjects == ["r1"]
    label = why[("d_1", "n/a", "inputs")]
    assert "sub-d_1: a subject label must be letters and digits only" in label and "e.g. sub-d1" in label
    space = why[("r2", "ketamine", "rsfmri")]
    assert "only in space T1w, not MNI152NLin2009cAsym (config rsfmri.space)" in space
    assert "no images" in why[("d1", "n/a", "inputs")]  # its participants row has no folder now
