"""Input checks name the file, what is wrong and the fix; a good subject passes everything."""

import json

import numpy as np
from conftest import make_bold, make_dwi, write_nifti

from trialmri.qc.inputs import check_subject, failures_as_exclusions


def files_of(stems):
    files = {}
    for (ses, d), stem in stems.items():
        for part, ext in (("nii", ".nii.gz"), ("bval", ".bval"), ("bvec", ".bvec"), ("json", ".json")):
            files[f"dwi_{ses}_{d}_{part}"] = f"{stem}{ext}"
    return files


def failed(table):
    return {(r.file, r.check): r.message for r in table.itertuples() if r.status == "fail"}


def test_good_subject_passes(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    table = check_subject("d1", files_of(stems))
    assert len(table) > 10 and failed(table) == {}


def test_broken_dwi_inputs_are_named(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    ap, pa = stems[("pre", "AP")], stems[("pre", "PA")]
    open(f"{ap}.bval", "w").write("0 1000 1000\n")  # 3 b-values for 4 volumes
    json.dump({"TotalReadoutTime": 0.05}, open(f"{pa}.json", "w"))  # no PhaseEncodingDirection
    write_nifti(tmp_path / "pa.nii.gz", (5, 4, 3, 4))
    (tmp_path / "pa.nii.gz").replace(f"{pa}.nii.gz")  # PA grid differs from AP
    bad = failed(check_subject("d1", files_of(stems)))
    assert "3 b-values" in bad[("sub-d1_ses-pre_dir-AP_dwi.nii.gz", "volume count")]
    assert "PhaseEncodingDirection" in bad[("sub-d1_ses-pre_dir-PA_dwi.json", "acquisition parameters")]
    assert "same geometry" in " ".join(k[1] for k in bad)


def test_unreadable_and_wrong_dimension_images(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    open(f"{stems[('pre', 'AP')]}.nii.gz", "wb").write(b"\x1f\x8b not really gzip")
    t1 = write_nifti(tmp_path / "t1.nii.gz", (4, 4, 4, 2))
    bvec = np.loadtxt(f"{stems[('pre', 'PA')]}.bvec") * 2
    np.savetxt(f"{stems[('pre', 'PA')]}.bvec", bvec)
    table = check_subject("d1", {**files_of(stems), "t1w": str(t1)})
    bad = failed(table)
    assert "cannot read image" in bad[("sub-d1_ses-pre_dir-AP_dwi.nii.gz", "readable")]
    assert "3-D image is needed" in bad[("t1.nii.gz", "3-D")]
    assert "unit length" in bad[("sub-d1_ses-pre_dir-PA_dwi.bvec", "unit b-vectors")]
    excl = failures_as_exclusions(table)
    assert set(excl["session"]) == {"pre", "n/a"} and (excl["step"] == "input_qc").all()


def test_confounds_shorter_than_bold(tmp_path):
    make_bold(tmp_path, "r1", "ketamine", n_vol=5, confound_rows=4)
    func = tmp_path / "sub-r1" / "ses-ketamine" / "func"
    files = {"bold_ketamine_bold": str(next(func.glob("*_bold.nii.gz"))),
             "bold_ketamine_confounds": str(next(func.glob("*_timeseries.tsv")))}
    bad = failed(check_subject("r1", files))
    assert "4 rows but the BOLD has 5 volumes" in bad[("sub-r1_ses-ketamine_task-rest_desc-confounds_timeseries.tsv",
                                                       "rows = volumes")]
