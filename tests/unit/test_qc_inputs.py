"""Input checks name the file, what is wrong and the fix; a good subject passes everything."""

import gzip
import json
from pathlib import Path

import nibabel as nib
import numpy as np
from helpers import make_bold, make_dwi, write_nifti

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


def truncate_data(path, keep_bytes_of_data: int):
    """Rewrite a .nii.gz with its header intact but the data cut after ``keep_bytes_of_data`` bytes."""
    raw = gzip.decompress(open(path, "rb").read())
    offset = int(nib.load(path).dataobj.offset)
    open(path, "wb").write(gzip.compress(raw[:offset + keep_bytes_of_data]))


def test_truncated_data_behind_an_intact_header(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    ap = f"{stems[('pre', 'AP')]}.nii.gz"
    truncate_data(ap, 100)
    nib.load(ap)  # the header still reads: only the data are short
    bad = failed(check_subject("d1", files_of(stems)))
    message = bad[("sub-d1_ses-pre_dir-AP_dwi.nii.gz", "complete data")]
    assert "100 of 768 bytes" in message and "truncated" in message
    cut = f"{stems[('pre', 'PA')]}.nii.gz"  # a gzip stream cut mid-way (an interrupted copy)
    noise = np.random.default_rng(0).normal(100, 10, (16, 16, 12, 4)).astype(np.float32)  # ~40 kB compressed
    nib.save(nib.Nifti1Image(noise, np.eye(4)), cut)
    data = open(cut, "rb").read()
    open(cut, "wb").write(data[:len(data) // 2])
    bad = failed(check_subject("d1", files_of(stems)))
    assert "EOFError" in bad[("sub-d1_ses-pre_dir-PA_dwi.nii.gz", "complete data")]


def test_nan_and_inf_voxels_are_counted(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    data = np.full((4, 4, 3, 4), 100.0, np.float32)
    data[0, 0, 0, 1], data[1, 2, 0, 3], data[3, 3, 2, 0] = np.nan, np.inf, -np.inf
    nib.save(nib.Nifti1Image(data, np.eye(4)), f"{stems[('pre', 'PA')]}.nii.gz")
    bad = failed(check_subject("d1", files_of(stems)))
    assert bad[("sub-d1_ses-pre_dir-PA_dwi.nii.gz", "finite values")].startswith("3 voxel values are NaN or Inf")
    assert ("sub-d1_ses-pre_dir-AP_dwi.nii.gz", "finite values") not in bad


def test_zero_bvecs_and_missing_readout(tmp_path):
    stems = {("pre", d): make_dwi(tmp_path, "d1", "pre", d) for d in ("AP", "PA")}
    ap, pa = stems[("pre", "AP")], stems[("pre", "PA")]
    np.savetxt(f"{ap}.bvec", np.zeros((3, 4)))
    json.dump({"PhaseEncodingDirection": "j"}, open(f"{pa}.json", "w"))
    bad = failed(check_subject("d1", files_of(stems)))
    assert "every b-vector of the diffusion-weighted volumes is zero" in bad[("sub-d1_ses-pre_dir-AP_dwi.bvec",
                                                                             "unit b-vectors")]
    assert "TotalReadoutTime" in bad[("sub-d1_ses-pre_dir-PA_dwi.json", "acquisition parameters")]


def bold_files(root, sub, ses):
    func = root / f"sub-{sub}" / f"ses-{ses}" / "func"
    return {f"bold_{ses}_bold": str(next(func.glob("*_bold.nii.gz"))),
            f"bold_{ses}_confounds": str(next(func.glob("*_timeseries.tsv")))}


def test_bold_with_the_wrong_tr_or_three_dimensions(tmp_path):
    make_bold(tmp_path, "r1", "ketamine", n_vol=5)
    make_bold(tmp_path, "r1", "placebo", n_vol=5)
    files = {**bold_files(tmp_path, "r1", "ketamine"), **bold_files(tmp_path, "r1", "placebo")}
    img = nib.load(files["bold_ketamine_bold"])
    img.header.set_zooms((1, 1, 1, 2.0))
    nib.save(nib.Nifti1Image(np.asanyarray(img.dataobj), img.affine, img.header), files["bold_ketamine_bold"])
    write_nifti(Path(files["bold_placebo_bold"]), (3, 3, 3))
    bad = failed(check_subject("r1", files, bold_tr_s=2.5))
    assert "TR is 2 s but config rsfmri.repetition_time_s is 2.5 s" in bad[(Path(files["bold_ketamine_bold"]).name,
                                                                            "repetition time")]
    assert "a 4-D image is needed" in bad[(Path(files["bold_placebo_bold"]).name, "4-D")]
    assert not failed(check_subject("r1", {k: v for k, v in files.items() if "ketamine" in k}, bold_tr_s=2.0))


def test_a_b0_only_fmap_series_is_checked_as_image_and_acquisition(tmp_path):
    """The reverse PE as a b0-only fmap/ series (3-D or 4-D, no gradient table): checked for its
    image and PE/readout, and for the same grid as the AP series; a broken one fails, not crashes."""
    from helpers import make_fmap_epi

    stem = make_dwi(tmp_path, "d1", "pre", "AP")
    files = {f"dwi_pre_AP_{k}": f"{stem}.{k}" for k in ("bval", "bvec", "json")} | {"dwi_pre_AP_nii": f"{stem}.nii.gz"}
    for n_vol in (1, 3):
        fmap = make_fmap_epi(tmp_path, "d1", "pre", n_vol=n_vol)
        if n_vol == 1:  # a single b0 stored 3-D
            img = nib.load(fmap)
            nib.save(nib.Nifti1Image(np.asarray(img.dataobj)[..., 0], img.affine), fmap)
        table = check_subject("d1", files | {"dwi_pre_PA_nii": str(fmap),
                                             "dwi_pre_PA_json": str(fmap).replace(".nii.gz", ".json")})
        assert (table["status"] == "pass").all(), table[table["status"] == "fail"]
        assert "same geometry as dir-AP" in set(table["check"])
    Path(str(fmap).replace(".nii.gz", ".json")).write_text("{}")
    table = check_subject("d1", files | {"dwi_pre_PA_nii": str(fmap),
                                         "dwi_pre_PA_json": str(fmap).replace(".nii.gz", ".json")})
    assert list(table.loc[table["status"] == "fail", "check"]) == ["acquisition parameters"]


def test_a_failed_file_of_no_session_read_back_from_tsv_is_still_an_exclusion(tmp_path):
    """The T1w's checks have session ``n/a``, which a TSV reads back as missing: its failure must
    still exclude the subject (session ``n/a``: the whole subject, tables.session_failed)."""
    import pandas as pd

    from trialmri.tables import failed_input_checks, qc_row, read_tsv, session_failed, write_tsv

    table = pd.DataFrame([qc_row("001", None, "anat/sub-001_T1w.nii.gz", "readable", False, "cut short"),
                          qc_row("001", "pre", "dwi/sub-001_ses-pre_dwi.nii.gz", "readable", False, "bad"),
                          qc_row("290", None, "anat/sub-290_T1w.nii.gz", "readable", True)])
    write_tsv(tmp_path / "qc.tsv", table)
    exclusions = failures_as_exclusions(read_tsv(tmp_path / "qc.tsv"))
    assert exclusions[["subject", "session"]].values.tolist() == [["001", "n/a"], ["001", "pre"]]
    write_tsv(tmp_path / "exclusions.tsv", exclusions)
    failed = failed_input_checks(tmp_path / "exclusions.tsv")
    assert failed == {"001": {"n/a", "pre"}} and session_failed(failed["001"], "post")
