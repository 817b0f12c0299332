"""repetition_time_s: null takes the arm's TR from the BOLD sidecars, the most common one."""

import json

from trialmri.bids.repetition_times import arm_tr, sidecar_tr


def bold(folder, name, tr):
    path = folder / f"{name}_desc-preproc_bold.nii.gz"
    if tr is not None:
        path.with_name(f"{name}_desc-preproc_bold.json").write_text(json.dumps({"RepetitionTime": tr}))
    return path


def test_most_common_sidecar_tr_and_what_says_so(tmp_path):
    paths = [bold(tmp_path, f"sub-{i}", tr) for i, tr in enumerate([2.0, 2.0, 0.8, None, 2.0004])]
    assert sidecar_tr(paths[2]) == 0.8 and sidecar_tr(paths[3]) is None
    tr, why = arm_tr(paths)
    assert tr == 2.0 and why == "the most common TR of the arm's BOLD sidecars"


def test_no_sidecar_leaves_each_run_its_own_tr(tmp_path):
    tr, why = arm_tr([bold(tmp_path, "sub-1", None)])
    assert tr is None and "header TR" in why
