"""trialmri roi-lme against R's lmerTest (tests/fixtures/roi_lme: data, R script, output), the
Satterthwaite pieces against finite differences, and the Fisher r-to-z test against the study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialmri.cli import main
from trialmri.stats.formula import NotEstimable, build_design
from trialmri.stats.group_tests import fisher_r_to_z
from trialmri.stats.roi_lme import fit_roi_lme
from trialmri.stats.roi_lme_files import quantitative_columns
from trialmri.stats.satterthwaite import reml_deviance, variance_model

FIXTURE = Path(__file__).parents[1] / "fixtures" / "roi_lme"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "data.tsv", sep="\t", dtype=str)


def _fit(data, model):
    return fit_roi_lme(data, model, "subject", quantitative_columns(data, model))


def test_type3_anova_matches_lmertest(data):
    reference = pd.read_csv(FIXTURE / "anova.tsv", sep="\t")
    assert reference.model.nunique() == 5 and (reference.df_num == 2).sum() == 2  # multi-df terms too
    for model, ref in reference.groupby("model", sort=False):
        ours = _fit(data, model).anova.set_index("term").loc[ref.term]
        np.testing.assert_array_equal(ours.df_num.to_numpy(), ref.df_num.to_numpy())
        np.testing.assert_allclose(ours.F.to_numpy(), ref.F.to_numpy(), rtol=1e-4, err_msg=model)
        np.testing.assert_allclose(ours.df_den.to_numpy(), ref.df_den.to_numpy(), atol=1e-3, rtol=0, err_msg=model)
        np.testing.assert_allclose(ours.p.to_numpy(), ref.p.to_numpy(), atol=1e-4, rtol=0, err_msg=model)


def test_coefficients_variances_and_marginal_means_match_lmertest(data):
    coefs = pd.read_csv(FIXTURE / "coefficients.tsv", sep="\t")
    lsmeans = pd.read_csv(FIXTURE / "lsmeans.tsv", sep="\t")
    for model, ref in coefs.groupby("model", sort=False):
        fit = _fit(data, model)
        ref = ref.set_index("coefficient")
        ours = fit.coefficients.set_index("coefficient")
        names = [c for c in ref.index if not c.startswith("var_")]
        assert sorted(names) == sorted(ours.index)  # R's contr.sum names
        for col, tol in (("estimate", 1e-6), ("se", 1e-6), ("df", 1e-3), ("t", 1e-4), ("p", 1e-5)):
            np.testing.assert_allclose(ours.loc[names, col], ref.loc[names, col].astype(float), atol=tol,
                                       rtol=1e-5, err_msg=f"{model} {col}")
        np.testing.assert_allclose([fit.info["var_subject"], fit.info["var_residual"]],
                                   ref.loc[["var_subject", "var_residual"], "estimate"], rtol=1e-4)
        lsm = lsmeans[lsmeans.model == model]
        if lsm.empty:
            continue
        by = [c for c in fit.emmeans.columns if c not in ("emmean", "se", "df", "ci_low", "ci_high")]
        ours = fit.emmeans.assign(cell=[":".join(f"{v}{row[v]}" for v in by) for _, row in fit.emmeans.iterrows()])
        ours = ours.set_index("cell").loc[lsm.cell]
        for col in ("emmean", "se", "df", "ci_low", "ci_high"):
            np.testing.assert_allclose(ours[col], lsm[col], atol=1e-3 if col == "df" else 1e-6, rtol=1e-5,
                                       err_msg=f"{model} {col}")


def test_reml_deviance_derivatives_are_exact(data):
    design = build_design(data, "group*treatment+order")
    y = data.fc.astype(float).to_numpy()
    codes = np.unique(data.subject, return_inverse=True)[1]
    ZZ = (codes[:, None] == codes[None, :]).astype(float)
    theta, sigma, h = 0.7, 0.11, 1e-5
    vm = variance_model(y, design.X, data.subject, theta, sigma)
    d = lambda t, s: reml_deviance(y, design.X, ZZ, t, s)  # noqa: E731
    grad = [(d(theta + h, sigma) - d(theta - h, sigma)) / (2 * h), (d(theta, sigma + h) - d(theta, sigma - h)) / (2 * h)]
    np.testing.assert_allclose(vm.gradient, grad, rtol=1e-5)
    h2 = 1e-4
    hess = np.empty((2, 2))
    for i in range(2):
        e = np.eye(2)[i] * h2
        hi = variance_model(y, design.X, data.subject, theta + e[0], sigma + e[1]).gradient
        lo = variance_model(y, design.X, data.subject, theta - e[0], sigma - e[1]).gradient
        hess[:, i] = (hi - lo) / (2 * h2)
    np.testing.assert_allclose(vm.hessian, hess, rtol=1e-5)


def test_roi_lme_program_writes_the_contracted_table(tmp_path, data, capsys):
    out = tmp_path / "R.tsv"
    assert main(["roi-lme", "--table", str(FIXTURE / "data.tsv"), "--formula", "log_crp ~ group * treatment",
                 "--random", "subject", "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["term", "F", "df_num", "df_den", "p"]
    assert list(table.term) == ["group", "treatment", "group:treatment"]
    assert table.df_den.round(0).tolist() != table.df_den.tolist()  # fractional Satterthwaite df
    for name in ("R_coefficients.tsv", "R_emmeans.tsv", "R.json"):
        assert (tmp_path / name).is_file()
    assert "group:treatment: F(1, " in capsys.readouterr().out


def test_roi_lme_errors_name_the_table_and_missing_rows_are_dropped(tmp_path, data):
    bad = data.copy()
    bad.loc[3, "log_crp"] = "n/a"
    bad.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    fit = fit_roi_lme(pd.read_csv(tmp_path / "t.tsv", sep="\t", dtype=str), "log_crp ~ group * treatment")
    assert fit.info["rows_dropped_missing"] == 1 and fit.info["n_rows"] == len(data) - 1
    assert main(["roi-lme", "--table", str(tmp_path / "t.tsv"), "--formula", "crp ~ group",
                 "--out", str(tmp_path / "o.tsv")]) == 2
    bad = data.copy()
    bad.loc[5, "log_crp"] = "high"
    with pytest.raises(ValueError, match="non-numeric value 'high'"):
        fit_roi_lme(bad, "log_crp ~ group * treatment")
    with pytest.raises(NotEstimable):
        fit_roi_lme(data[data.group == "HV"], "log_crp ~ group * treatment")


def test_fisher_r_to_z_reproduces_the_study():
    # study 000: HV r = -0.64 (n = 17) vs TRD r = -0.07 (n = 20): z = 1.91, p = 0.06 (0.057)
    result = fisher_r_to_z(-0.07, 20, -0.64, 17)
    assert round(result["z"], 2) == 1.91 and round(result["p"], 3) == 0.057
    assert fisher_r_to_z(-0.64, 17, -0.07, 20)["z"] == pytest.approx(-result["z"])
    assert np.isnan(fisher_r_to_z(0.5, 3, 0.1, 20)["z"])
