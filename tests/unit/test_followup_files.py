"""The ROI follow-ups' connectivity tables from files (trialmri.fc.followup_files): the seed maps
split per seed, control ROIs inside the group mask, and the tables written for rules control_fc and
cluster_fc on a 4 x 4 x 4 grid with known values."""

import numpy as np
import pandas as pd
import pytest

from trialmri.fc.followup_files import (
    MODEL_TABLES,
    clinical_sessions,
    control_rois,
    followup_models,
    maps_by_seed,
    write_cluster_fc,
    write_cluster_posthoc,
    write_control_fc,
    write_followup_correlations,
)
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

AFFINE = np.diag([2.0, 2.0, 2.0, 1.0])


def test_maps_by_seed_splits_seed_by_seed_and_checks_the_count():
    maps = ["a1", "a2", "a3", "b1", "b2", "b3"]
    assert maps_by_seed(maps, ["A", "B"], 3) == {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}
    with pytest.raises(ValueError, match="5 seed maps for 2 seeds x 3 sessions"):
        maps_by_seed(maps[:5], ["A", "B"], 3)


def test_control_rois_inside_the_mask_none_for_an_empty_mask_and_an_error_outside():
    labels = np.zeros((4, 4, 4), int)
    labels[0, :, :] = 3  # V1
    labels[3, :, :] = 4  # outside the mask below
    mask = np.zeros((4, 4, 4), np.uint8)
    mask[:2] = 1
    rois = control_rois(labels, mask, {"V1": 3, "X": 4}, ["V1"])
    assert list(rois) == ["V1"] and rois["V1"].sum() == 16
    assert control_rois(labels, np.zeros_like(mask), {"V1": 3}, ["V1"]) == {}
    with pytest.raises(ValueError, match="control ROI X has no voxel inside the group mask"):
        control_rois(labels, mask, {"V1": 3, "X": 4}, ["V1", "X"])


def sessions_table(path):
    """Three sessions of two subjects, the second session not used."""
    write_tsv(path, pd.DataFrame({"subject": ["01", "01", "02"], "session": ["ket", "pla", "ket"],
                                  "group": ["TRD", "TRD", "HV"], "treatment": ["ket", "pla", "ket"],
                                  "order": ["KP", "KP", "PK"], "used": [True, False, True]}))


def z_maps(tmp_path, seeds):
    """Map of seed k, session j: the constant 10 k + j (voxel values known)."""
    paths = []
    for k, _ in enumerate(seeds):
        for j in range(3):
            paths.append(tmp_path / f"z{k}{j}.nii.gz")
            save_nifti(paths[-1], np.full((4, 4, 4), 10.0 * k + j), AFFINE)
    return paths


def test_write_control_fc_means_per_used_session_seed_and_roi(tmp_path):
    sessions_table(tmp_path / "sessions.tsv")
    labels = np.zeros((4, 4, 4), np.int16)
    labels[0] = 3
    save_nifti(tmp_path / "labels.nii.gz", labels, AFFINE, dtype=np.int16)
    save_nifti(tmp_path / "mask.nii.gz", np.ones((4, 4, 4)), AFFINE, dtype=np.uint8)
    write_tsv(tmp_path / "seeds.tsv", pd.DataFrame({"name": ["sgACC", "V1"], "index": [1, 3]}))
    lines = write_control_fc(tmp_path / "sessions.tsv", tmp_path / "mask.nii.gz", tmp_path / "labels.nii.gz",
                             tmp_path / "seeds.tsv", z_maps(tmp_path, ["A", "B"]), ["A", "B"], ["V1"],
                             tmp_path / "out.tsv")
    table = read_tsv(tmp_path / "out.tsv")
    assert list(table.seed) == ["A", "A", "B", "B"] and set(table.roi) == {"V1"}
    assert list(table.z) == [0.0, 2.0, 10.0, 12.0]  # session 2 (index 1) is not used
    assert (table.n_voxels == 16).all()
    assert lines == ["4 rows: 2 subjects x seeds A, B x ROIs V1 (V1 16 voxels)"]


def test_write_cluster_fc_adds_each_clusters_region(tmp_path):
    sessions_table(tmp_path / "sessions.tsv")
    dseg = np.zeros((4, 4, 4), np.int16)
    dseg[1, 1, 1:3] = 1
    save_nifti(tmp_path / "dseg.nii.gz", dseg, AFFINE, dtype=np.int16)
    save_nifti(tmp_path / "empty.nii.gz", np.zeros((4, 4, 4)), AFFINE, dtype=np.int16)
    write_tsv(tmp_path / "c.tsv", pd.DataFrame({"cluster": [1], "HO_peak": ["Left_Frontal_Pole (61%)"]}))
    write_tsv(tmp_path / "none.tsv", pd.DataFrame({"cluster": pd.Series(dtype=int)}))
    lines = write_cluster_fc(tmp_path / "sessions.tsv", [tmp_path / "dseg.nii.gz", tmp_path / "empty.nii.gz"],
                             [tmp_path / "c.tsv", tmp_path / "none.tsv"], z_maps(tmp_path, ["A", "B"]),
                             ["A", "B"], ["HO"], tmp_path / "out.tsv")
    table = read_tsv(tmp_path / "out.tsv")
    assert list(table.columns[table.columns.get_loc("roi"):][:2]) == ["roi", "region"]
    assert list(table.region) == ["Left Frontal Pole"] * 2 and list(table.z) == [0.0, 2.0]
    assert (table.n_voxels == 2).all()
    assert lines == ["clusters per seed: {'A': 1, 'B': 0}; 2 rows"]


def participants():
    return pd.DataFrame({"participant_id": ["sub-01", "sub-02", "sub-03"], "group": ["TRD", "HV", "other"],
                         "order": ["KP", "PK", "KP"], "age": ["30", "n/a", "41"]})


def scores():
    return pd.DataFrame({"participant_id": ["sub-01", "sub-01", "sub-02", "sub-02", "sub-03"],
                         "session_id": ["ses-ket", "ses-pla", "ses-ket", "ses-pla", "ses-ket"],
                         "crp": [1.0, np.e, 2.0, "n/a", 3.0], "madrs": [20, 10, 3, 4, 5]})


def test_clinical_sessions_adds_the_transformed_crp_after_the_raw_one():
    table = clinical_sessions(scores(), participants(), {"group": "group", "order": "order"}, ["ket", "pla"],
                              ["TRD", "HV"], {"score": "crp", "transform": "log"}, ["madrs"])
    assert list(table.columns) == ["subject", "session", "group", "treatment", "order", "crp", "log_crp", "madrs"]
    assert list(table.subject) == ["01", "01", "02", "02"]  # sub-03's group is not analysed
    assert table.log_crp.iloc[:2].tolist() == pytest.approx([0.0, 1.0]) and np.isnan(table.log_crp.iloc[3])
    raw = clinical_sessions(scores(), participants(), {"group": "group", "order": "order"}, ["ket", "pla"],
                            ["TRD", "HV"], {"score": "crp", "transform": "none"}, [])
    assert "log_crp" not in raw and list(raw.columns)[-1] == "crp"
    with pytest.raises(ValueError, match="participants.tsv is missing"):
        clinical_sessions(scores(), None, {}, [], [], {"score": "crp", "transform": "none"}, [])


def test_followup_models_need_participants_for_covariates_and_count_the_rows_left_out(tmp_path):
    rng = np.random.default_rng(3)
    subjects = [f"{k:02d}" for k in range(1, 13)]
    table = pd.DataFrame([{"subject": s, "session": t, "group": "TRD" if k % 2 else "HV", "treatment": t,
                           "order": "KP" if k % 3 else "PK", "z": rng.normal()}
                          for k, s in enumerate(subjects) for t in ("ket", "pla")])
    with pytest.raises(ValueError, match="needs participants.tsv"):
        followup_models(table, [], "z", "group * treatment", [{"column": "age", "type": "quantitative"}], [])
    write_tsv(tmp_path / "participants.tsv", pd.DataFrame(
        {"participant_id": [f"sub-{s}" for s in subjects], "age": ["n/a"] + [str(20 + k) for k in range(11)]}))
    results, lines = followup_models(table, [tmp_path / "participants.tsv"], "z", "group * treatment",
                                     [{"column": "age", "type": "quantitative"}], [])
    assert set(MODEL_TABLES) <= set(results)
    assert lines[0].startswith("2 rows left out for a covariate missing in participants.tsv (age 2); 22 remain")
    assert any(line.startswith(" group:treatment: F(") for line in lines[1:]), lines
    assert "age" not in table and len(table) == 24  # the caller's table is not changed


def test_followup_correlations_and_posthoc_files(tmp_path):
    from test_cluster_posthoc import cluster_fc_table

    fc = cluster_fc_table()
    subjects = fc[["subject", "group"]].drop_duplicates()
    rng = np.random.default_rng(5)
    clinical = pd.DataFrame([{"subject": s, "session": t, "group": g, "treatment": t, "order": "KP",
                              "crp": c, "log_crp": np.log(c), "madrs": rng.integers(5, 30)}
                             for s, g in zip(subjects.subject, subjects.group) for t in ("ketamine", "placebo")
                             for c in [rng.uniform(0.5, 5)]])
    settings = {"patient": "TRD", "control": "HV", "active": "ketamine", "placebo": "placebo",
                "crp": {"score": "crp", "transform": "log", "label": "CRP"}, "symptoms": {"madrs": "MADRS"},
                "symptom_groups": ["TRD"]}
    paths = {key: tmp_path / f"{key}.tsv" for key in ("changes", "crp", "fisher", "symptoms")}
    lines = write_followup_correlations(fc, clinical, settings, paths)
    changes = read_tsv(paths["changes"])
    assert {"delta_fc", "delta_log_crp", "delta_madrs"} <= set(changes.columns)
    assert lines[0] == f"{changes.subject.nunique()} subjects with both sessions over 2 cluster(s)"
    crp = read_tsv(paths["crp"])
    assert set(crp.label) == {"CRP (log)"} and len(lines) == 1 + len(crp)
    assert set(read_tsv(paths["symptoms"]).group) == {"TRD"} and len(read_tsv(paths["fisher"])) == 2
    lines = write_cluster_posthoc(fc, pd.DataFrame(columns=["seed", "note"]), "group:treatment", ["TRD", "HV"],
                                  "ketamine", "placebo", tmp_path / "posthoc.tsv", tmp_path / "posthoc.json")
    assert lines[0] == "2 cluster(s) x 2 groups" and len(lines) == 5
    assert len(read_tsv(tmp_path / "posthoc.tsv")) == 4 and (tmp_path / "posthoc.json").exists()
