"""Phenotype checks name the column, the config key to change, and the subject and session."""

import pandas as pd

from trialmri.qc.phenotype import check_phenotype

COLUMNS = {
    "participants": {"group": "group", "infusion_order": "infusion_order", "failed_trials": "failed_trials",
                     "treatment_resistance": "treatment_resistance",
                     "psychotropic_medication": "psychotropic_medication"},
}
ARMS = {"dti": {"subjects": ["d1", "d2"], "sessions": ["pre", "post"]}, "rsfmri": {"subjects": [], "sessions": []}}


def participants(**extra):
    table = pd.DataFrame({"participant_id": ["sub-d1", "sub-d2"], "group": ["ketamine", "vehicle"],
                          "failed_trials": [2, 4], "treatment_resistance": ["moderate", "severe"],
                          "psychotropic_medication": ["yes", "no"]})
    return table.assign(**extra)


def sessions(madrs=(30, 20, 28, 25)):
    return pd.DataFrame({"participant_id": ["sub-d1", "sub-d1", "sub-d2", "sub-d2"],
                         "session_id": ["ses-pre", "ses-post"] * 2, "madrs": list(madrs), "qids_sr": [15, 9, 14, 12]})


def failed(table):
    return {(r.subject, r.session, r.check): r.message for r in table.itertuples() if r.status == "fail"}


def test_complete_tables_pass():
    table = check_phenotype(participants(), sessions(), COLUMNS, ARMS)
    assert failed(table) == {} and len(table) == 1 + 4 + 2 + 8


def test_missing_column_names_the_config_key():
    bad = failed(check_phenotype(participants().drop(columns="failed_trials"), sessions().rename(
        columns={"qids_sr": "QIDS"}), COLUMNS, ARMS))
    assert "phenotype.participants.failed_trials" in bad[("n/a", "n/a", "column failed_trials")]
    assert "phenotype.scores.qids_sr" in bad[("n/a", "n/a", "score qids_sr")]


def test_non_numeric_and_missing_scores_and_duplicate_rows():
    table = pd.concat([participants(), participants().iloc[[0]]], ignore_index=True)
    bad = failed(check_phenotype(table, sessions(madrs=(30, "twenty", 28, None)), COLUMNS, ARMS))
    assert "'twenty'" in bad[("d1", "post", "madrs numeric")]
    assert "missing" in bad[("d2", "post", "madrs numeric")]
    assert "sub-d1" in bad[("n/a", "n/a", "unique participant_id")]
    missing_session = check_phenotype(participants(), sessions().iloc[:3], COLUMNS, ARMS)
    assert ("d2", "post", "madrs numeric") in failed(missing_session)


def test_no_participants_file():
    bad = failed(check_phenotype(None, sessions(), COLUMNS, ARMS))
    assert "add one" in bad[("n/a", "n/a", "exists")]


def test_columns_the_configured_analyses_read_are_the_ones_checked():
    arms = {"dti": ARMS["dti"] | {"participant_keys": ["group", "age"], "session_keys": ["hamd"]}}
    checks = {check for _, _, check in failed(check_phenotype(participants(), sessions(), COLUMNS, arms))}
    assert checks == {"column age", "score hamd"}


def test_missing_crp_for_one_session_names_subject_session_and_column():
    people = pd.DataFrame({"participant_id": ["sub-r1", "sub-r2"], "group": ["TRD", "HV"],
                           "infusion_order": ["KP", "PK"]})
    rs = pd.DataFrame({"participant_id": ["sub-r1", "sub-r1", "sub-r2", "sub-r2"],
                       "session_id": ["ses-ketamine", "ses-placebo"] * 2, "crp_day1": [1.2, None, 0.8, 0.9],
                       "madrs_day2": [20] * 4, "madrs_day10": [18] * 4, "shaps_day2": [30] * 4,
                       "shaps_day10": [29] * 4})
    arms = {"dti": {"subjects": [], "sessions": []},
            "rsfmri": {"subjects": ["r1", "r2"], "sessions": ["ketamine", "placebo"]}}
    bad = failed(check_phenotype(people, rs, COLUMNS, arms, {"crp_day1": "phenotype/crp.tsv: crp_day1"}))
    assert bad == {("r1", "placebo", "crp_day1 numeric"):
                   "crp_day1 (phenotype/crp.tsv: crp_day1) is missing for sub-r1 ses-placebo; enter the number "
                   "or n/a if it was not collected"}


def test_group_column_per_arm_is_the_one_checked():
    arms = {"dti": ARMS["dti"] | {"group_column": "group_dti"}}
    bad = failed(check_phenotype(participants(), sessions(), COLUMNS, arms))
    assert "dti.groups.column" in bad[("n/a", "n/a", "column group_dti")]
    assert not failed(check_phenotype(participants(group_dti=["ketamine", "vehicle"]), sessions(), COLUMNS, arms))
