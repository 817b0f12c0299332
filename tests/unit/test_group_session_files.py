"""The group model's sessions and mask from files (trialmri.fc.group_session_files): the mask of
the used sessions only, an all-False mask when none is used, and what the job logs."""

import json

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.fc.group_session_files import used_sessions_mask, write_group_sessions
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])


def masks(tmp_path):
    """Session masks: the first covers x < 3, the second x >= 1 (overlap x = 1, 2)."""
    paths = []
    for k, lo, hi in ((0, 0, 3), (1, 1, 4)):
        data = np.zeros((4, 4, 4), np.uint8)
        data[lo:hi] = 1
        paths.append(tmp_path / f"m{k}.nii.gz")
        save_nifti(paths[-1], data, AFFINE, np.uint8)
    return paths


def test_used_sessions_mask_intersects_the_used_masks_only(tmp_path):
    paths = masks(tmp_path)
    both, affine = used_sessions_mask(paths, [True, True])
    assert both.sum() == 2 * 16 and np.allclose(affine, AFFINE)
    assert used_sessions_mask(paths, [True, False])[0].sum() == 3 * 16
    none, _ = used_sessions_mask(paths, [False, False])
    assert none.shape == (4, 4, 4) and not none.any()


def test_write_group_sessions_leaves_out_excluded_sessions_and_says_why(tmp_path):
    paths = masks(tmp_path)
    sidecars = []
    for k, excluded in enumerate((None, "too few volumes")):
        sidecars.append(tmp_path / f"s{k}.json")
        sidecars[-1].write_text(json.dumps({"Excluded": excluded}))
    write_tsv(tmp_path / "participants.tsv", pd.DataFrame({"participant_id": ["sub-01"], "group": ["TRD"],
                                                           "order": ["KP"], "age": [30]}))
    lines = write_group_sessions([["01", "ket"], ["01", "pla"]], sidecars, paths, [tmp_path / "participants.tsv"],
                                 {"group": "group", "order": "order"}, ["TRD", "HV"], ["group", "order"],
                                 [{"column": "age", "type": "quantitative"}], tmp_path / "sessions.tsv",
                                 tmp_path / "mask.nii.gz")
    sessions = read_tsv(tmp_path / "sessions.tsv")
    assert sessions.used.tolist() == [True, False]
    assert nib.load(tmp_path / "mask.nii.gz").get_fdata().sum() == 3 * 16
    assert lines == ["1 of 2 sessions in the group model (1 subjects); group mask 48 voxels",
                     "  left out: sub-01 ses-pla: excluded at subject level: too few volumes",
                     "covariate age (quantitative): 0 session(s) left out for a missing value"]


def test_seed_tables_keep_text_labels_and_write_relative_paths(tmp_path):
    """Labels as a lab writes them (``001``, ``290``) stay text through the sessions TSV into both
    tables; unused sessions are left out; map paths are relative to each table's folder."""
    from trialmri.fc.group_session_files import write_seed_tables
    from trialmri.tables import read_tsv, write_tsv

    sessions = pd.DataFrame({"subject": ["001", "001", "290", "290"], "session": ["ketamine", "placebo"] * 2,
                             "used": [True, True, True, False], "group": ["patient", "patient", "control", "control"],
                             "treatment": ["active", "placebo", "active", "placebo"]})
    write_tsv(tmp_path / "sessions.tsv", sessions)
    keys = [["001", "ketamine"], ["001", "placebo"], ["290", "ketamine"], ["290", "placebo"]]
    maps = [str(tmp_path / "maps" / f"sub-{s}_ses-{ses}_z.nii.gz") for s, ses in keys]
    line = write_seed_tables(tmp_path / "sessions.tsv", keys, maps, ["group", "treatment"], [],
                             tmp_path / "lme" / "table.tsv", tmp_path / "lme" / "afni.txt", "VS")
    assert line == "seed VS: 3 maps of 2 subjects"
    table = read_tsv(tmp_path / "lme" / "table.tsv")
    assert table["subject"].tolist() == ["001", "001", "290"]
    assert table["InputFile"].tolist() == [f"../maps/sub-{s}_ses-{ses}_z.nii.gz" for s, ses in keys[:3]]
    afni = (tmp_path / "lme" / "afni.txt").read_text().split()
    assert "001" in afni and "290" in afni and "../maps/sub-290_ses-ketamine_z.nii.gz" in afni
