import pytest

from trialmri.bids.naming import bids_name, bids_path


def test_entities_in_bids_order_whatever_the_call_order():
    assert bids_name("dwi", ".nii.gz", dir="AP", ses="pre", sub="01") == "sub-01_ses-pre_dir-AP_dwi.nii.gz"
    assert bids_name("bold", ".nii.gz", desc="preproc", space="MNI152NLin2009cAsym", task="rest", sub="r1") \
        == "sub-r1_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"


def test_path_has_subject_session_and_datatype_folders():
    assert bids_path("T1w", ".nii.gz", datatype="anat", subject="d01", session="pre") \
        == "sub-d01/ses-pre/anat/sub-d01_ses-pre_T1w.nii.gz"
    assert bids_path("qc", ".tsv", sub="{subject}", desc="inputs") == "sub-{subject}/sub-{subject}_desc-inputs_qc.tsv"


def test_rejects_labels_that_are_not_bids_alphanumerics():
    with pytest.raises(ValueError, match="alphanumeric"):
        bids_name("dwi", sub="01_a")
    with pytest.raises(ValueError, match="unknown BIDS entities"):
        bids_name("dwi", sub="01", colour="red")
