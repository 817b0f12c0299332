"""AFNI engine of the voxelwise LME (3dLME), without AFNI: the data table, the command line and the
conversion of a bucket laid out as 3dLME.R writes it (nlme's F values from the R fixture). Real
3dLME output is converted and compared in tests/accuracy/test_afni_engines.py."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialmri.lme import afni_commands as AFNI_LME, afni_outputs as AFNI_LME_OUT
from trialmri.stats.formula import build_design
from trialmri.lme.reml import fit_voxels

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lme"
TERMS = ["(Intercept)", "group", "treatment", "order", "group:treatment"]


def test_data_table_in_3dlme_form():
    table = pd.DataFrame({"subject": ["a1", "a1", "b2"], "group": ["HV", "HV", "TRD"],
                          "treatment": ["ketamine", "placebo", "ketamine"], "InputFile": ["x/1.nii.gz", "2.nii", "3.nii"]})
    text = AFNI_LME_OUT.afni_data_table(table, "subject", ["group", "treatment"])
    lines = [line.split("\t") for line in text.splitlines()]
    assert lines[0] == ["Subj", "group", "treatment", "InputFile"]
    assert lines[1] == ["a1", "HV", "ketamine", "x/1.nii.gz"] and len(lines) == 4
    numeric = AFNI_LME_OUT.afni_data_table(table.assign(group=["1", "1", "2"], age=[30.5, 30.5, 41]), "subject",
                                       ["group", "treatment"], qvars=["age"])
    assert [line.split("\t")[1:3] for line in numeric.splitlines()[1:]] == [["group_1", "ketamine"],
                                                                        ["group_1", "placebo"], ["group_2", "ketamine"]]
    assert [line.split("\t")[3] for line in numeric.splitlines()] == ["age", "30.5", "30.5", "41.0"]
    table.loc[2, "InputFile"] = "my maps/3.nii"
    with pytest.raises(ValueError, match="InputFile value 'my maps/3.nii' holds a space"):
        AFNI_LME_OUT.afni_data_table(table, "subject", ["group", "treatment"])


def test_3dlme_command_line():
    cmd = AFNI_LME.lme_command("{params.stats:q}", "{params.table:q}", "group * treatment + order",
                               "/data/my mask.nii.gz", "{params.resid:q}", jobs="{threads}")
    assert cmd.startswith("3dLME -prefix {params.stats:q} -jobs {threads:q} -model 'group*treatment+order' ")
    words = shlex.split(cmd)
    assert words[words.index("-ranEff") + 1] == "~1" and words[words.index("-SS_type") + 1] == "3"
    assert words[words.index("-mask") + 1] == "/data/my mask.nii.gz"
    assert words[-2:] == ["-dataTable", "@{params.table:q}"] and "-resid" in words
    qv = AFNI_LME.lme_argv("P", "T", "group+age", "M", "R", qvars=["age"])
    assert qv[qv.index("-qVars") + 1] == "age"


def _afni_extension(labels, statpar) -> nib.nifti1.Nifti1Extension:
    aux = " ".join(f"{b} 4 2 {n} {d}" for b, (n, d) in statpar.items())
    xml = ("<?xml version='1.0' ?>\n<AFNI_attributes self_idcode=\"XYZ\" ni_form=\"ni_group\" >\n"
           f"<AFNI_atr ni_type=\"String\" ni_dimen=\"1\" atr_name=\"BRICK_LABS\" >\n \"{'~'.join(labels)}\"\n"
           "</AFNI_atr>\n"
           f"<AFNI_atr ni_type=\"float\" ni_dimen=\"{len(aux.split())}\" atr_name=\"BRICK_STATAUX\" >\n {aux}\n"
           "</AFNI_atr>\n</AFNI_attributes>\n")
    return nib.nifti1.Nifti1Extension(4, xml.encode())


def test_3dlme_output_converted_to_our_layout_matches_the_native_engine(tmp_path):
    """3dLME's bucket as 3dLME.R labels it, holding nlme's F (what 3dLME computes), converted:
    the F and p volumes carry the same terms and df as the native engine's and agree with it."""
    design = pd.read_csv(FIXTURE / "design.tsv", sep="\t")
    data = pd.read_csv(FIXTURE / "data.tsv", sep="\t")
    ref = pd.read_csv(FIXTURE / "nlme_results.tsv", sep="\t")
    shape, affine = (10, 6, 5), np.diag([3.0, 3.0, 3.0, 1.0])
    f_nlme = np.stack([ref[(ref.quantity == "F") & (ref.name == t)].set_index("voxel").value
                       .reindex(data.columns).to_numpy(float) for t in TERMS], axis=-1)
    bucket = f_nlme.reshape(*shape, 1, len(TERMS)).astype(np.float32)
    mask = np.ones(shape, np.uint8)
    mask[0, 0, 0] = 0
    bucket[0, 0, 0] = 0
    img = nib.Nifti1Image(bucket, affine)
    dens = {0: 43, 1: 43, 2: 41, 3: 43, 4: 41}
    img.header.extensions.append(_afni_extension([f"{t}  F" for t in TERMS], {b: (1, d) for b, d in dens.items()}))
    nib.save(img, tmp_path / "lme.nii.gz")
    resid = np.zeros((*shape, 1, len(design)), np.float32)
    nib.save(nib.Nifti1Image(resid, affine), tmp_path / "resid.nii.gz")
    nib.save(nib.Nifti1Image(mask, affine), tmp_path / "mask.nii.gz")
    prefix = tmp_path / "out" / "seed"
    meta = AFNI_LME_OUT.convert_lme_outputs(tmp_path / "lme.nii.gz", tmp_path / "resid.nii.gz",
                                        tmp_path / "mask.nii.gz", str(prefix), container="docker://afni")
    assert meta["engine"] == "AFNI 3dLME"
    ours = fit_voxels(data.to_numpy(), build_design(design, "group*treatment+order"), design.subject)
    native_vols = [{"term": t, "stat": s, "df_num": int(ours.num_df[i]), "df_den": int(ours.den_df[i])}
                   for i, t in enumerate(TERMS) for s in ("F", "p")]
    assert meta["volumes"] == native_vols
    stats_img = nib.load(f"{prefix}_stats.nii.gz").get_fdata().reshape(-1, len(native_vols))
    gxt = meta["volumes"].index({"term": "group:treatment", "stat": "F", "df_num": 1, "df_den": 41})
    inside = np.arange(1, stats_img.shape[0])
    clear = np.flatnonzero(ours.ratio > 1e-2)
    clear = clear[clear > 0]
    assert np.allclose(stats_img[clear, gxt], ours.F[4, clear], rtol=1e-4)
    assert np.allclose(stats_img[inside, gxt + 1], stats.f.sf(stats_img[inside, gxt], 1, 41), rtol=1e-5)
    assert stats_img[0, gxt] == 0 and stats_img[0, gxt + 1] == 1
    fitmask = nib.load(f"{prefix}_fitmask.nii.gz").get_fdata()
    assert fitmask[0, 0, 0] == 0 and fitmask.sum() == mask.sum()
    assert nib.load(f"{prefix}_resid.nii.gz").shape == (*shape, len(design))
    assert json.loads(Path(f"{prefix}_stats.json").read_text())["container"] == "docker://afni"


def test_output_without_afni_extension_is_a_clear_error(tmp_path):
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2, 1, 2), np.float32), np.eye(4)), tmp_path / "lme.nii.gz")
    nib.save(nib.Nifti1Image(np.ones((2, 2, 2), np.uint8), np.eye(4)), tmp_path / "mask.nii.gz")
    with pytest.raises(ValueError, match="no AFNI header extension"):
        AFNI_LME_OUT.convert_lme_outputs(tmp_path / "lme.nii.gz", tmp_path / "lme.nii.gz", tmp_path / "mask.nii.gz",
                                     str(tmp_path / "P"))
