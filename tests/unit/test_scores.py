"""Clinical scores from wide and long phenotype/ tables and the sessions files, labels kept as text."""

import json

import pandas as pd
import pytest

from trialmri.bids.scores import check_score_specs, labelled, load_scores, score_metadata, score_specs
from trialmri.tables import read_tsv, write_tsv


def tsv(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("|", "\t"))
    return path


@pytest.fixture
def dataset(tmp_path):
    tsv(tmp_path / "phenotype" / "madrs.tsv", "participant_id|madrs_pre|madrs_24h|madrs_ketamine_day2\n"
        "sub-001|30|20|n/a\nsub-290|n/a|n/a|12\n")
    tsv(tmp_path / "phenotype" / "qids.tsv", "participant_id|session_id|qids_sr\n"
        "sub-001|ses-pre|15\nsub-001|post|9\n")
    (tmp_path / "phenotype" / "madrs.json").write_text(json.dumps(
        {"madrs_pre": {"Description": "MADRS total", "Units": "points"}}))
    tsv(tmp_path / "sub-290" / "sub-290_sessions.tsv", "session_id|crp_day1\nses-ketamine|3.1\nses-placebo|n/a\n")
    return tmp_path


SCORES = {"phenotype": {"scores": {
    "madrs": {"table": "phenotype/madrs.tsv", "columns": {"pre": "madrs_pre", "ses-post": "madrs_24h"}},
    "madrs_day2": {"table": "phenotype/madrs.tsv", "columns": {"ketamine": "madrs_ketamine_day2"}},
    "qids_sr": {"table": "phenotype/qids.tsv", "column": "qids_sr"},
    "crp_day1": {"table": "sessions", "column": "crp_day1"}}}}


def test_wide_long_and_sessions_scores_in_one_long_table(dataset):
    specs = score_specs(SCORES["phenotype"])
    assert check_score_specs(dataset, specs) == []
    table = load_scores(dataset, specs, [dataset / "sub-290" / "sub-290_sessions.tsv"])
    got = table.set_index(["participant_id", "session_id"])
    assert got.loc[("sub-001", "ses-pre"), "madrs"] == 30 and got.loc[("sub-001", "ses-post"), "madrs"] == 20
    assert got.loc[("sub-001", "ses-post"), "qids_sr"] == 9          # "post" and "ses-post" are one session
    assert got.loc[("sub-290", "ses-ketamine"), "madrs_day2"] == 12
    assert got.loc[("sub-290", "ses-ketamine"), "crp_day1"] == 3.1
    assert pd.isna(got.loc[("sub-290", "ses-placebo"), "crp_day1"])  # n/a is missing
    assert list(table.columns) == ["participant_id", "session_id", "madrs", "madrs_day2", "qids_sr", "crp_day1"]
    # labels survive a round trip through the workflow's TSV writer and reader as text
    back = read_tsv(write_tsv(dataset / "scores.tsv", table))
    assert set(back["participant_id"]) == {"sub-001", "sub-290"}


def test_metadata_from_sidecars_labels_figures(dataset):
    meta = score_metadata(dataset, score_specs(SCORES["phenotype"]))
    assert meta["madrs"]["Units"] == "points" and "madrs_pre (ses-pre)" in meta["madrs"]["Source"]
    assert labelled("MADRS", meta["madrs"]) == "MADRS (points)"
    assert labelled("QIDS-SR", meta["qids_sr"]) == "QIDS-SR"


def test_config_problems_name_the_key_and_the_columns(dataset):
    specs = {"madrs": {"table": "phenotype/madrs.tsv", "columns": {"pre": "madrs_baseline"}},
             "qids_sr": {"table": "phenotype/qids.tsv", "column": "qids"},
             "crp": {"table": "phenotype/crp.tsv", "column": "crp"},
             "wide_as_long": {"table": "phenotype/madrs.tsv", "column": "madrs_pre"}}
    problems = "\n".join(check_score_specs(dataset, specs))
    assert "phenotype.scores.madrs" in problems and "'madrs_baseline'" in problems and "madrs_24h" in problems
    assert "phenotype.scores.qids_sr" in problems and "'qids'" in problems
    assert "phenotype.scores.crp.table" in problems and "does not exist" in problems
    assert "phenotype.scores.wide_as_long" in problems and "columns: {session: column}" in problems


def test_legacy_sessions_mapping_still_reads(dataset):
    specs = score_specs({"sessions": {"crp_day1": "crp_day1"}})
    assert specs == {"crp_day1": {"table": "sessions", "column": "crp_day1"}}


def test_a_wide_table_with_a_repeated_participant_is_an_error(dataset):
    tsv(dataset / "phenotype" / "madrs.tsv", "participant_id|madrs_pre|madrs_24h\nsub-001|1|2\nsub-001|3|4\n")
    with pytest.raises(ValueError, match="sub-001 on more than one row"):
        load_scores(dataset, score_specs({"scores": {"madrs": SCORES["phenotype"]["scores"]["madrs"]}}))
