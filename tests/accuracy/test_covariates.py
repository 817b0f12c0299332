"""Models with covariates against R (tests/fixtures/lme_covariates: data, R script, output): the
native voxelwise LME against nlme, age centred as 3dLME centres -qVars; the follow-ups' ROI
models (covariates from participants.tsv, a subject without a value left out) against lmerTest."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.cli import main
from trialmri.fc.followup import fit_models
from trialmri.lme.covariates import add_covariates, quantitative_names, resolve_covariates, with_covariates
from trialmri.stats.formula import build_design
from trialmri.lme.reml import fit_voxels

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lme_covariates"
MODELS = ["group * treatment + order + age", "group * treatment + order + age + race"]


@pytest.fixture(scope="module")
def nlme():
    design = pd.read_csv(FIXTURE / "design.tsv", sep="\t", dtype=str)
    data = pd.read_csv(FIXTURE / "data.tsv", sep="\t")
    ref = pd.read_csv(FIXTURE / "nlme.tsv", sep="\t")
    return design, data, ref


def _reference(ref, model, quantity, name, voxels):
    rows = ref[(ref.model == model) & (ref.quantity == quantity) & (ref.name == name)]
    return rows.set_index("voxel").value.reindex(voxels).to_numpy(float)


@pytest.mark.parametrize("model", MODELS)
def test_voxelwise_lme_with_covariates_matches_nlme(nlme, model):
    design, data, ref = nlme
    d = build_design(design, model, quantitative=["age"], centers={"age": None})
    assert d.centers["age"] == pytest.approx(design.age.astype(float).mean())  # over rows, as 3dLME
    fit = fit_voxels(data.to_numpy(), d, design.subject)
    # where the REML optimum is at zero subject variance nlme only approaches it (test_lme.py)
    clear = fit.ratio > 1e-3
    assert np.all(fit.reason == 0) and clear.sum() >= 14
    for t, term in enumerate(fit.design.terms):
        f_r = _reference(ref, model, "F", term, data.columns)
        np.testing.assert_allclose(fit.F[t][clear], f_r[clear], rtol=1e-4, err_msg=term)  # (Intercept): the centre
        assert np.all(_reference(ref, model, "denDF", term, data.columns) == fit.den_df[t]), term
        assert np.all(_reference(ref, model, "numDF", term, data.columns) == fit.num_df[t]), term
        np.testing.assert_allclose(fit.p[t][clear], _reference(ref, model, "p", term, data.columns)[clear],
                                   rtol=1e-3, atol=1e-12, err_msg=term)
    for j, coef in enumerate(fit.design.columns):
        np.testing.assert_allclose(fit.beta[j][clear], _reference(ref, model, "estimate", coef, data.columns)[clear],
                                   rtol=1e-4, atol=1e-6, err_msg=coef)
        np.testing.assert_allclose(fit.se[j][clear], _reference(ref, model, "se", coef, data.columns)[clear],
                                   rtol=1e-4, err_msg=coef)
    # the test sees the centre: at the mean over subjects (not rows) the intercept's F is not nlme's
    over_subjects = design.groupby("subject").age.first().astype(float).mean()
    other = fit_voxels(data.to_numpy(), build_design(design, model, ["age"], {"age": over_subjects}), design.subject)
    f_r = _reference(ref, model, "F", "(Intercept)", data.columns)
    assert np.max(np.abs(other.F[0][clear] - f_r[clear]) / f_r[clear]) > 1e-2  # tolerance above: 1e-4
    # 46 subjects, 89 rows: age and race are subject-level, so they cost the subject stratum df (the
    # intercept takes the larger of the two strata's, nlme's rule)
    expected = {MODELS[0]: [42, 42, 41, 42, 42, 41], MODELS[1]: [41, 40, 41, 40, 40, 40, 41]}[model]
    assert list(fit.den_df) == expected


def test_lme_program_with_qvars_writes_what_nlme_reports(tmp_path, nlme):
    """The program's default centre is 3dLME's (the data-table mean): its F volumes are nlme's."""
    design, data, ref = nlme
    paths = []
    for row in range(len(design)):
        path = tmp_path / f"row{row:02d}.nii.gz"
        nib.save(nib.Nifti1Image(data.iloc[row].to_numpy(np.float32).reshape(4, 4, 1), np.eye(4)), path)
        paths.append(path.name)
    design.drop(columns="row").assign(InputFile=paths).to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    assert main(["lme", "--table", str(tmp_path / "t.tsv"), "--formula", MODELS[1], "--qvars", "age",
                 "--out-prefix", str(tmp_path / "P"), "--no-resid"]) == 0
    volumes = json.loads((tmp_path / "P_stats.json").read_text())["volumes"]
    stats = nib.load(tmp_path / "P_stats.nii.gz").get_fdata().reshape(16, -1)
    ratio = stats[:, volumes.index({"term": "subject", "stat": "variance"})] / \
        stats[:, volumes.index({"term": "Residual", "stat": "variance"})]
    clear = ratio > 1e-3
    assert clear.sum() >= 14
    for i, vol in enumerate(volumes):
        if vol.get("stat") == "F":
            f_r = _reference(ref, MODELS[1], "F", vol["term"], data.columns)
            np.testing.assert_allclose(stats[clear, i], f_r[clear], rtol=1e-4, err_msg=vol["term"])
            assert vol["df_den"] == _reference(ref, MODELS[1], "denDF", vol["term"], data.columns)[0]


def test_followup_roi_model_with_covariates_matches_lmertest():
    """fit_models as the workflow's follow-ups call it: age (quantitative, centred) and site
    (categorical, from text) from participants.tsv; sub-r04 has no age, so its rows leave."""
    table = pd.read_csv(FIXTURE.parent / "roi_lme" / "data.tsv", sep="\t", dtype=str).drop(columns=["age", "site"])
    table["fc"] = table.fc.astype(float)
    people = pd.read_csv(FIXTURE / "participants.tsv", sep="\t", dtype=str, keep_default_na=False,
                         na_values=["n/a"])
    covariates = resolve_covariates(["age", "site"], people, "rsfmri.followup.covariates")
    assert [c.type for c in covariates] == ["quantitative", "categorical"]
    table, dropped = add_covariates(table, people, covariates)
    assert dropped == {"age": 1, "site": 0} and len(table) == 86  # sub-r04 had one session
    quantitative = quantitative_names(covariates)
    result = fit_models(table, "fc", with_covariates("group * treatment", covariates), [], quantitative,
                        center=quantitative)
    ref = pd.read_csv(FIXTURE / "lmertest_anova.tsv", sep="\t")
    ours = result["anova"].set_index("term").loc[ref.term]
    assert (ours.n_rows == 86).all() and (ours.n_subjects == 45).all()
    np.testing.assert_array_equal(ours.df_num.to_numpy(), ref.df_num.to_numpy())
    np.testing.assert_allclose(ours.F.to_numpy(), ref.F.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(ours.df_den.to_numpy(), ref.df_den.to_numpy(), atol=1e-3, rtol=0)
    np.testing.assert_allclose(ours.p.to_numpy(), ref.p.to_numpy(), atol=1e-4, rtol=0)
    coefs = pd.read_csv(FIXTURE / "lmertest_coefficients.tsv", sep="\t").set_index("coefficient")
    ours = result["coefficients"].set_index("coefficient").loc[coefs.index]
    # the intercept is the mean response at the centred age: it checks the centre
    np.testing.assert_allclose(ours.estimate, coefs.estimate, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.se, coefs.se, rtol=1e-4)
    np.testing.assert_allclose(ours.df, coefs.df, atol=1e-3)
