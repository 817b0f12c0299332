"""One session's denoising from files (trialmri.fc.denoise_session_files) on a small fMRIPrep-layout
session (tests/unit/test_confound_columns.py): every output, the computed confounds named, and a
session censoring leaves too short excluded."""

import json

from test_confound_columns import pruned_session  # noqa: F401 (a fixture)

from trialmri.fc.denoise_session_files import write_denoised_session

DENOISE = {"motion": "full", "wm_csf": "basic", "scrub": {"fd_threshold_mm": 0.5, "std_dvars_threshold": 1.5},
           "band_pass_hz": None, "detrend": True}


def run(session, out, **settings):
    paths = [out / n for n in ("d.nii.gz", "m.nii.gz", "c.tsv", "d.json", "fd.png")]
    return write_denoised_session(session["bold"], session["mask"], DENOISE | settings, *paths, "sub-01 ses-a"), paths


def test_every_output_and_the_computed_confounds(pruned_session, tmp_path):  # noqa: F811
    lines, paths = run(pruned_session, tmp_path, min_volumes=40)
    assert all(p.exists() for p in paths)
    sidecar = json.loads(paths[3].read_text())
    assert sidecar["Excluded"] is None and lines[0].startswith(f"sub-01 ses-a: kept {sidecar['VolumesKept']} of 80")
    assert any("confound trans_x_derivative1 not in fMRIPrep's table" in line for line in lines)
    assert not any("EXCLUDED" in line for line in lines)


def test_too_few_volumes_left_excludes_the_session(pruned_session, tmp_path):  # noqa: F811
    lines, paths = run(pruned_session, tmp_path, min_volumes=200)
    assert json.loads(paths[3].read_text())["Excluded"] and lines[-1].startswith("sub-01 ses-a: EXCLUDED: ")
