"""The DTI group models written to files (trialmri.dwi.dti_model_files) on the study-size synthetic
trial: every file, main vs sensitivity rows, Table 2's caption with n per group."""

import json

from test_dti_stats import _synthetic_trial_table

from trialmri.dwi.dti_model_files import (
    MODEL_FILES,
    dti_analysis_tables,
    plot_roi_scatter,
    table2_caption,
    write_dti_models,
)
from trialmri.tables import read_tsv

GROUPS = {"treatment": "ketamine", "control": "vehicle"}


def statistics(covariates):
    return {"model": "delta_score ~ delta_md * group", "outcomes": {"madrs": "MADRS", "qids_sr": "QIDS-SR"},
            "sensitivity": {c: {"label": c.replace("_", " ")} for c in covariates}, "delta_md": "winsorized",
            "table2_term": "delta_md:group", "alpha": 0.05, "winsorize": {"method": "sd", "k": 3}}


def test_write_dti_models_writes_every_file_and_splits_main_from_sensitivity(tmp_path):
    table, _, covariates = _synthetic_trial_table(seed=1)
    stats = statistics(covariates)
    paths = {key: tmp_path / f"{key}.{'html' if key.endswith('html') else 'json' if key.endswith('json') else 'tsv'}"
             for key in MODEL_FILES}
    rows = write_dti_models(table, stats, {"lba10": {"label": "left BA10"}}, GROUPS, paths)
    assert all(path.exists() for path in paths.values())
    assert set(read_tsv(paths["main"])["model"]) == {"main"}
    assert set(read_tsv(paths["sensitivity"])["model"]) == set(covariates)
    assert len(rows) == len(read_tsv(paths["table2"]))
    assert json.loads(paths["table2_json"].read_text())["formula"] == stats["model"]
    page = paths["table2_html"].read_text()
    assert "left BA10" in page and "+ baseline md" in page and "ketamine n = " in page


def test_table2_caption_counts_each_subject_once_per_group():
    table, _, covariates = _synthetic_trial_table(seed=1)
    caption = table2_caption(table, statistics(covariates), GROUPS,
                             {"beta": "β unscaled", "variables": {"group": "1 = ketamine, 0 = vehicle"}})
    people = table.drop_duplicates("subject")
    n_ket, n_veh = int((people.group == 1).sum()), int((people.group == 0).sum())
    assert n_ket + n_veh == 98
    assert f"(ΔMD winsorized; ketamine n = {n_ket}, vehicle n = {n_veh})" in caption
    assert caption.startswith("Table 2. The delta_md:group term of delta_score ~ delta_md * group")


def test_dti_analysis_tables_take_each_subjects_group_from_participants():
    from test_dti_stats import SETTINGS, _participants, _roi_md, _sessions

    subs = ["s1", "s2", "s3", "s4"]
    participants = _participants(subs).assign(arm=["ketamine", "vehicle", "vehicle", "ketamine"])
    stats = {"outcomes": {"madrs": "MADRS"}, "sensitivity": {}, "winsorize": SETTINGS["winsorizing"],
             "min_roi_coverage": 0.5}
    table, report, exclusions = dti_analysis_tables(
        _roi_md(subs), _sessions(subs, {}), participants, subs[:3], "arm", "pre", "post", GROUPS,
        {"participants": {}}, stats)
    coded = table.drop_duplicates("subject").set_index("subject")["group"]
    assert coded.to_dict() == {"s1": 1, "s2": 0, "s3": 0}  # s4 is not a DTI subject
    assert list(report.roi) == ["a", "b"] and exclusions.empty


def test_plot_roi_scatter_writes_the_panel(tmp_path):
    table, _, covariates = _synthetic_trial_table(seed=1)
    plot_roi_scatter(table, "lba10", "madrs", statistics(covariates), {"lba10": {"label": "left BA10"}}, GROUPS,
                     tmp_path / "p.png", tmp_path / "p.svg")
    assert (tmp_path / "p.png").stat().st_size > 5_000 and "left BA10" in (tmp_path / "p.svg").read_text()
