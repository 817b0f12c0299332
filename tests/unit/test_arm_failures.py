"""A whole arm failing its input checks stops the run; one bad session only excludes itself."""

import pandas as pd

from trialmri.qc.arm_failures import whole_arm_failure
from trialmri.tables import COLUMNS, qc_row

SESSIONS = [("290", "ketamine"), ("290", "placebo"), ("047", "ketamine")]


def qc(failing):
    rows = [qc_row(sub, ses, f"sub-{sub}_ses-{ses}_desc-confounds_timeseries.tsv", "denoising columns",
                   (sub, ses) not in failing, "no column std_dvars") for sub, ses in SESSIONS]
    rows.append(qc_row("001", "pre", "dwi.nii.gz", "readable", True))
    return pd.DataFrame(rows, columns=COLUMNS)


def failed(failing):
    out = {}
    for sub, ses in failing:
        out.setdefault(sub, set()).add(ses)
    return out


def test_every_session_failing_names_the_check_an_example_and_the_config_key():
    message = whole_arm_failure(qc(SESSIONS), failed(SESSIONS), "rsfmri", SESSIONS)
    assert message.startswith("every rsfMRI session failed the input checks (3 of 3), 3 of them the check "
                              "'denoising columns', e.g. sub-290 ses-ketamine")
    assert "no column std_dvars" in message and "config rsfmri.denoise" in message


def test_one_bad_session_or_a_failed_t1w_of_one_subject_does_not_stop():
    assert whole_arm_failure(qc(SESSIONS[:1]), failed(SESSIONS[:1]), "rsfmri", SESSIONS) is None
    assert whole_arm_failure(qc([]), {"290": {"n/a"}}, "rsfmri", SESSIONS) is None
    assert whole_arm_failure(qc([]), {}, "dti", []) is None


def test_a_subject_level_failure_counts_for_all_its_sessions():
    failing = {"290": {"n/a"}, "047": {"ketamine"}}
    table = pd.concat([qc([("047", "ketamine")]), pd.DataFrame(
        [qc_row("290", "n/a", "T1w.nii.gz", "readable", False, "truncated")], columns=COLUMNS)])
    message = whole_arm_failure(table, failing, "rsfmri", SESSIONS)
    assert message is not None and "(3 of 3)" in message
