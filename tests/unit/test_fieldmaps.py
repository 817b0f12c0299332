"""The reverse phase encoding as a b0-only series in fmap/: discovery (links, ambiguity, exclusions),
the native engine's loading of it, and the FSL engine's input files for it."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from helpers import make_dataset, make_dwi, make_fmap_epi, write_nifti

from trialmri.bids.discovery import discover
from trialmri.bids.fieldmaps import full_series, is_b0_only, named_series
from trialmri.dwi.corrections import load_series
from trialmri.dwi.fsl_inputs import prepare_fsl_files

AP = "ses-{ses}/dwi/sub-{sub}_ses-{ses}_dir-AP_dwi.nii.gz"  # IntendedFor: relative to the subject folder


def ap_only_subject(root, sub, pa_dwi=False, dwi_meta=None):
    """A DTI subject with the AP DWI series in both sessions (and a T1w); no PA unless ``pa_dwi``."""
    for ses in ("pre", "post"):
        stem = make_dwi(root, sub, ses, "AP", pe="j-")
        if dwi_meta:
            Path(f"{stem}.json").write_text(json.dumps({"PhaseEncodingDirection": "j-", "TotalReadoutTime": 0.05,
                                                        **dwi_meta}))
        if pa_dwi:
            make_dwi(root, sub, ses, "PA", pe="j")
    write_nifti(root / f"sub-{sub}" / "ses-pre" / "anat" / f"sub-{sub}_ses-pre_T1w.nii.gz", (4, 4, 4))


def dataset(tmp_path, sub="d1"):
    return make_dataset(tmp_path / "bids", [(sub, "ketamine")])


def reasons(inv):
    return {(e.subject, e.session, e.step): e.reason for e in inv.exclusions}


def assert_fmap_session(inv, sub, ses, epi):
    series = inv.dwi[sub][ses]
    assert list(series) == ["AP", "PA"]
    assert series["PA"] == {"nii": str(epi), "json": str(epi).replace(".nii.gz", ".json")}
    assert is_b0_only(series["PA"]) and not is_b0_only(series["AP"]) and full_series(series) == ["AP"]
    files = inv.subject_files(sub)
    assert files[f"dwi_{ses}_PA_nii"] == str(epi) and f"dwi_{ses}_PA_bval" not in files
    assert files[f"dwi_{ses}_AP_bval"].endswith(f"sub-{sub}_ses-{ses}_dir-AP_dwi.bval")


@pytest.mark.parametrize("form", ["relative", "bids_uri", "string"])
def test_intended_for_links_the_fmap_b0s(tmp_path, form):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1")
    epis = {}
    for ses in ("pre", "post"):
        path = AP.format(ses=ses, sub="d1")
        value = {"relative": [path], "bids_uri": [f"bids::sub-d1/{path}"], "string": path}[form]
        epis[ses] = make_fmap_epi(root, "d1", ses, IntendedFor=value)
    inv = discover(root)
    assert inv.dti_subjects == ["d1"] and inv.exclusions == []
    for ses, epi in epis.items():
        assert_fmap_session(inv, "d1", ses, epi)


def test_b0_field_identifier_matches_the_dwi_b0_field_source(tmp_path):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1", dwi_meta={"B0FieldSource": ["other", "pepolar"]})  # a list in the DWI JSON
    for ses in ("pre", "post"):
        make_fmap_epi(root, "d1", ses, acq="b0", B0FieldIdentifier="pepolar")
    # a second dir-PA epi in the session, linked to the BOLD only: not a candidate for the DWI
    make_fmap_epi(root, "d1", "pre", acq="func", IntendedFor="ses-pre/func/sub-d1_ses-pre_task-rest_bold.nii.gz")
    inv = discover(root)
    assert inv.exclusions == [] and inv.dti_subjects == ["d1"]
    assert inv.dwi["d1"]["pre"]["PA"]["nii"].endswith("sub-d1_ses-pre_acq-b0_dir-PA_epi.nii.gz")


def test_a_single_unlinked_fmap_is_used_but_not_two(tmp_path):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1")
    epi = make_fmap_epi(root, "d1", "pre")  # no IntendedFor, no B0FieldIdentifier: the only candidate
    make_fmap_epi(root, "d1", "post", acq="a")
    make_fmap_epi(root, "d1", "post", acq="b")
    inv = discover(root)
    assert_fmap_session(inv, "d1", "pre", epi)
    why = reasons(inv)[("d1", "post", "dwi")]
    assert "post" not in inv.dwi["d1"]
    for word in ("sub-d1_ses-post_acq-a_dir-PA_epi.nii.gz", "sub-d1_ses-post_acq-b_dir-PA_epi.nii.gz",
                 "not linked", "IntendedFor", "fmap/", "dwi/"):
        assert word in why, word


def test_ambiguous_links_exclude_the_session_and_name_the_candidates(tmp_path):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1", dwi_meta={"B0FieldSource": "pepolar"})
    for ses in ("pre", "post"):
        make_fmap_epi(root, "d1", ses, acq="x", IntendedFor=[AP.format(ses=ses, sub="d1")])
    make_fmap_epi(root, "d1", "pre", acq="y", B0FieldIdentifier="pepolar")
    inv = discover(root)
    why = reasons(inv)
    assert set(inv.dwi["d1"]) == {"post"} and ("d1", "post", "dwi") not in why
    assert "2 dir-PA b0 series in fmap/ are linked" in why[("d1", "pre", "dwi")]
    assert "acq-x_dir-PA_epi.nii.gz" in why[("d1", "pre", "dwi")]
    assert "acq-y_dir-PA_epi.nii.gz" in why[("d1", "pre", "dwi")]


@pytest.mark.parametrize("case", ["other_images", "unmatched_source", "no_json"])
def test_a_fmap_not_linked_to_this_dwi_is_never_used(tmp_path, case):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1", dwi_meta={"B0FieldSource": "elsewhere"} if case == "unmatched_source" else None)
    for ses in ("pre", "post"):
        if case == "other_images":  # e.g. the post session's DWI, or a BOLD
            epi = make_fmap_epi(root, "d1", ses, IntendedFor=[AP.format(ses="post" if ses == "pre" else "pre",
                                                                        sub="d1")])
        else:
            epi = make_fmap_epi(root, "d1", ses)
        if case == "no_json":
            Path(str(epi).replace(".nii.gz", ".json")).unlink()
    inv = discover(root)
    assert "d1" not in inv.dwi and inv.dti_subjects == []
    why = reasons(inv)[("d1", "pre", "dwi")]
    expected = {"other_images": "linked to other images only", "unmatched_source": "B0FieldSource matches none",
                "no_json": "no .json beside it"}[case]
    assert expected in why and "sub-d1_ses-pre_dir-PA_epi.nii.gz" in why


def test_full_pa_layout_unchanged_and_preferred_over_a_fmap(tmp_path):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1", pa_dwi=True)
    make_fmap_epi(root, "d1", "pre", IntendedFor=[AP.format(ses="pre", sub="d1")])
    inv = discover(root)
    assert inv.exclusions == []
    for ses in ("pre", "post"):
        stem = str(root / "sub-d1" / f"ses-{ses}" / "dwi" / f"sub-d1_ses-{ses}_dir-")
        assert inv.dwi["d1"][ses] == {d: {"nii": f"{stem}{d}_dwi.nii.gz", "bval": f"{stem}{d}_dwi.bval",
                                          "bvec": f"{stem}{d}_dwi.bvec", "json": f"{stem}{d}_dwi.json"}
                                      for d in ("AP", "PA")}


def test_neither_layout_names_both_in_the_reason(tmp_path):
    root = dataset(tmp_path)
    ap_only_subject(root, "d1")
    why = reasons(discover(root))[("d1", "pre", "dwi")]
    assert "no dir-PA DWI series in dwi/" in why and "b0 series (_epi) in fmap/" in why
    assert "needs both AP and PA" in why


# --- the engines' inputs ---------------------------------------------------------------------

def b0_only_session(tmp_path, epi_shape=(4, 4, 3, 2)):
    """named (as the rules' scripts build it) for an AP series of 4 volumes (1 b0) + a PA b0 series."""
    root = dataset(tmp_path)
    stem = make_dwi(root, "d1", "pre", "AP", pe="j-")
    epi = make_fmap_epi(root, "d1", "pre", n_vol=epi_shape[3] if len(epi_shape) == 4 else 1)
    if len(epi_shape) == 3:
        write_nifti(epi, epi_shape)
    inputs = {"nii_AP": f"{stem}.nii.gz", "bval_AP": f"{stem}.bval", "bvec_AP": f"{stem}.bvec",
              "json_AP": f"{stem}.json", "nii_PA": str(epi), "json_PA": str(epi).replace(".nii.gz", ".json")}
    return root, named_series(inputs, ["AP", "PA"])


@pytest.mark.parametrize("epi_shape", [(4, 4, 3, 2), (4, 4, 3)])
def test_native_engine_loads_a_b0_only_series_as_b0s(tmp_path, epi_shape):
    _, named = b0_only_session(tmp_path, epi_shape)
    assert named["PA"][1:3] == (None, None)
    (ap, pa), _ = load_series(named)
    n = epi_shape[3] if len(epi_shape) == 4 else 1
    assert not ap.b0_only and pa.b0_only and pa.data.shape == (4, 4, 3, n)
    assert np.all(pa.bvals == 0) and pa.bvecs.shape == (n, 3) and pa.acq.pe_sign == 1
    with pytest.raises(ValueError, match="b0-only series only"):
        load_series({"AP": (named["PA"][0], None, None, named["AP"][3]), "PA": named["PA"]})


def fsl_outputs(folder):
    return {k: str(folder / f"{k}.txt") for k in ("acqparams", "index", "b0_acqparams", "b0_volumes", "bval",
                                                  "bvec")}


def test_fsl_inputs_b0_only_layout(tmp_path):
    """topup: the AP b0 then the two PA b0s, one datain row each; eddy: the AP series alone, every
    index entry on the AP acqparams row, the AP gradients."""
    _, named = b0_only_session(tmp_path)
    out = fsl_outputs(tmp_path)
    summary = prepare_fsl_files(named, out)
    text = {k: Path(p).read_text() for k, p in out.items()}
    assert text["acqparams"] == "0 -1 0 0.05\n0 1 0 0.05\n"
    assert text["index"] == "1 1 1 1\n"  # the 4 AP volumes only
    assert text["b0_acqparams"] == "0 -1 0 0.05\n0 1 0 0.05\n0 1 0 0.05\n"
    assert text["b0_volumes"] == "0,4,5\n"  # in fslmerge -t AP PA: AP volume 0, PA volumes 0-1
    assert np.allclose(np.loadtxt(out["bval"]), np.loadtxt(named["AP"][1]))
    assert np.allclose(np.loadtxt(out["bvec"]), np.loadtxt(named["AP"][2]))
    assert "AP alone" in summary and "b0-only series PA" in summary


def test_fsl_inputs_full_layout_as_before(tmp_path):
    root = dataset(tmp_path)
    stems = {d: make_dwi(root, "d1", "pre", d, pe=pe) for d, pe in (("AP", "j-"), ("PA", "j"))}
    named = {d: (f"{s}.nii.gz", f"{s}.bval", f"{s}.bvec", f"{s}.json") for d, s in stems.items()}
    out = fsl_outputs(tmp_path)
    assert "both series merged" in prepare_fsl_files(named, out)
    text = {k: Path(p).read_text() for k, p in out.items()}
    assert text["acqparams"] == "0 -1 0 0.05\n0 1 0 0.05\n" and text["index"] == "1 1 1 1 2 2 2 2\n"
    assert text["b0_acqparams"] == "0 -1 0 0.05\n0 1 0 0.05\n" and text["b0_volumes"] == "0,4\n"
    assert np.loadtxt(out["bval"]).tolist() == [0, 1000, 1000, 1000] * 2
    assert np.loadtxt(out["bvec"]).shape == (3, 8)
    assert nib.load(named["AP"][0]).shape[3] == 4
