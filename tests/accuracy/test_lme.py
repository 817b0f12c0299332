"""Voxelwise LME (native 3dLME engine) against R's nlme, its derivatives, flags, a planted effect."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.cli import main
from trialmri.stats.formula import build_design, parse_formula
from trialmri.lme import reml
from trialmri.lme.reml import ALL_MISSING, CONSTANT, FITTED, SOME_MISSING, RandomInterceptModel, fit_voxels

FIXTURE = Path(__file__).parents[1] / "fixtures" / "lme"
FORMULA = "group*treatment+order"


@pytest.fixture(scope="module")
def nlme():
    design = pd.read_csv(FIXTURE / "design.tsv", sep="\t")
    data = pd.read_csv(FIXTURE / "data.tsv", sep="\t")
    ref = pd.read_csv(FIXTURE / "nlme_results.tsv", sep="\t")
    assert "status" not in set(ref.quantity), "a voxel failed in R"
    fit = fit_voxels(data.to_numpy(), build_design(design, FORMULA), design.subject)

    def get(quantity, name="-"):
        rows = ref[(ref.quantity == quantity) & (ref.name == name)]
        return rows.set_index("voxel").value.reindex(data.columns).to_numpy(float)

    ratio = get("var_subject") / get("var_resid")
    return design, data, ref, fit, get, ratio


def test_f_per_term_matches_nlme_where_subject_variance_is_clear(nlme):
    design, data, _, fit, get, ratio = nlme
    clear = ratio > 1e-3
    assert 200 < clear.sum() < 300  # the fixture has boundary voxels too
    assert fit.design.terms == ["(Intercept)", "group", "treatment", "order", "group:treatment"]
    for t, term in enumerate(fit.design.terms):
        f_r = get("F", term)
        rel = np.abs(fit.F[t] - f_r) / f_r
        assert rel[clear].max() < 1e-4, (term, rel[clear].max())
        assert np.all(get("denDF", term) == fit.den_df[t]) and np.all(get("numDF", term) == fit.num_df[t])
        assert np.allclose(fit.p[t][clear], get("p", term)[clear], rtol=1e-3, atol=1e-12)
    assert list(fit.den_df) == [43, 43, 41, 43, 41]  # 46 subjects, 89 rows


def test_coefficients_variances_and_residuals_match_nlme(nlme):
    _, data, ref, fit, get, ratio = nlme
    clear = ratio > 1e-3
    for j, coef in enumerate(fit.design.columns):
        assert np.allclose(fit.beta[j][clear], get("estimate", coef)[clear], rtol=1e-4, atol=1e-6)
        assert np.allclose(fit.se[j][clear], get("se", coef)[clear], rtol=1e-4)
        assert np.allclose(fit.t[j][clear], get("t", coef)[clear], rtol=1e-4, atol=1e-6)
        assert np.all(get("df", coef) == fit.column_df[j])
    assert np.allclose(fit.var_resid[clear], get("var_resid")[clear], rtol=1e-4)
    assert np.allclose(fit.var_subject[clear], get("var_subject")[clear], rtol=1e-3)
    resid = ref[ref.quantity == "resid"]
    for voxel, rows in resid.groupby("voxel"):
        v = list(data.columns).index(voxel)
        ours = fit.resid[rows.name.astype(int).to_numpy(), v]
        assert np.allclose(ours, rows.value.to_numpy(float), atol=1e-4 * np.sqrt(fit.var_resid[v]))


def test_reml_likelihood_never_worse_than_nlme(nlme):
    _, _, _, fit, get, ratio = nlme
    diff = fit.loglik - get("loglik")
    assert diff.min() > -1e-8  # at every voxel, boundary ones included
    boundary = ratio <= 1e-3
    assert boundary.sum() >= 20 and fit.boundary.sum() >= 20
    assert np.all(fit.var_subject[fit.boundary] == 0)


def test_analytic_derivatives_match_finite_differences(nlme):
    design, data, _, fit, _, _ = nlme
    model = RandomInterceptModel(fit.design.X, design.subject)
    b, c, _ = model.moments(data.to_numpy()[:, :40])
    lam = np.linspace(0.05, 3.0, 40)
    h = 1e-5 * lam
    ev = model.evaluate(b, c, lam, derivatives=True)
    up, down = model.evaluate(b, c, lam + h), model.evaluate(b, c, lam - h)
    assert np.allclose(ev["grad"], (up["loglik"] - down["loglik"]) / (2 * h), rtol=1e-5, atol=1e-6)
    up, down = model.evaluate(b, c, lam + h, True), model.evaluate(b, c, lam - h, True)
    assert np.allclose(ev["hess"], (up["grad"] - down["grad"]) / (2 * h), rtol=1e-4, atol=1e-4)
    # and the shared-grid likelihood is the per-voxel one
    grid = model.loglik_grid(b, c)
    assert np.allclose(grid[10], model.evaluate(b, c, np.full(40, reml.GRID[10]))["loglik"], rtol=1e-10)


def test_unfittable_voxels_are_flagged_and_chunks_do_not_matter(nlme):
    design, data, _, _, _, _ = nlme
    Y = data.to_numpy()[:, :30].copy()
    Y[:, 3] = 0.25  # constant
    Y[:, 5] = np.nan  # all missing
    Y[7, 8] = np.nan  # one missing row
    Y[2, 9] = np.inf
    d = build_design(design, FORMULA)
    one = fit_voxels(Y, d, design.subject)
    small = fit_voxels(Y, d, design.subject, chunk=7)
    assert one.reason[3] == CONSTANT and one.reason[5] == ALL_MISSING
    assert one.reason[8] == SOME_MISSING and one.reason[9] == SOME_MISSING
    ok = one.reason == FITTED
    assert ok.sum() == 26 and np.all(np.isnan(one.F[:, ~ok]))
    assert np.allclose(one.F[:, ok], small.F[:, ok], rtol=1e-10)
    assert one.counts["constant across rows"] == 1


def test_design_names_and_order_as_r():
    assert parse_formula("y ~ treatment*group + order") == [("treatment",), ("group",), ("order",),
                                                           ("treatment", "group")]
    table = pd.DataFrame({"g": ["a", "b", "c", "a", "b", "c"], "x": [1, 2, 3, 4, 5, 6.5]})
    d = build_design(table, "g*x", quantitative=["x"])
    assert d.columns == ["(Intercept)", "g1", "g2", "x", "g1:x", "g2:x"]
    assert d.terms == ["(Intercept)", "g", "x", "g:x"]
    assert list(d.X[:, 1]) == [1, 0, -1, 1, 0, -1] and list(d.X[:, 2]) == [0, 1, -1, 0, 1, -1]
    with pytest.raises(ValueError, match="not a column"):
        build_design(table, "g + dose")
    with pytest.raises(ValueError, match=r"term 'b' of 'a\*b' cannot be estimated .* column b1"):
        build_design(pd.DataFrame({"a": ["p", "q", "p", "q"], "b": ["u", "v", "u", "v"]}), "a*b")


def _study_design(rng, n_hv=19, n_trd=27, missing=3):
    rows = []
    subjects = [(f"s{i:02d}", "HV" if i < n_hv else "TRD") for i in range(n_hv + n_trd)]
    drop = set(rng.choice(len(subjects), missing, replace=False))
    for i, (s, g) in enumerate(subjects):
        order = "KP" if i % 2 else "PK"
        rows.append((s, g, "ketamine", order))
        if i not in drop:
            rows.append((s, g, "placebo", order))
    return pd.DataFrame(rows, columns=["subject", "group", "treatment", "order"])


def test_planted_group_by_treatment_effect_found_where_planted_and_nominal_elsewhere():
    rng = np.random.default_rng(3)
    table = _study_design(rng)
    d = build_design(table, FORMULA)
    n_vox, planted = 6000, np.arange(300)
    subj = pd.factorize(table.subject)[0]
    Y = (rng.normal(0, 0.3, (subj.max() + 1, n_vox))[subj] + rng.normal(0, 0.2, (len(table), n_vox)))
    gxt = d.X[:, d.columns.index("group1:treatment1")]
    Y[:, planted] += 0.15 * gxt[:, None]
    fit = fit_voxels(Y, d, table.subject)
    t = fit.design.terms.index("group:treatment")
    found = np.mean(fit.p[t, planted] < 0.005)
    null = np.setdiff1d(np.arange(n_vox), planted)
    false = np.mean(fit.p[t, null] < 0.05)
    assert found > 0.9, found
    assert 0.035 < false < 0.065, false  # 5700 null voxels: SD of the rate 0.003
    for term in ("group", "treatment", "order"):  # nothing planted: nominal rate for every term
        assert 0.035 < np.mean(fit.p[fit.design.terms.index(term), null] < 0.05) < 0.065, term


def test_cli_writes_stats_volumes_residuals_and_fit_mask(tmp_path, nlme):
    design, data, _, fit, _, _ = nlme
    shape, affine = (4, 5, 3), np.diag([2.0, 2.0, 2.0, 1.0])
    Y = data.to_numpy()[:, :60].reshape(len(data), *shape)
    Y[:, 0, 0, 0] = 0.0  # constant voxel
    paths = []
    for row in range(len(data)):
        p = tmp_path / "maps" / f"row{row:02d}.nii.gz"
        p.parent.mkdir(exist_ok=True)
        nib.save(nib.Nifti1Image(Y[row].astype(np.float32), affine), p)
        paths.append(f"maps/{p.name}")
    table = design[["subject", "group", "treatment", "order"]].assign(InputFile=paths)
    table.to_csv(tmp_path / "table.tsv", sep="\t", index=False)
    prefix = tmp_path / "out" / "lme"
    assert main(["lme", "--table", str(tmp_path / "table.tsv"), "--formula", FORMULA,
                 "--random", "subject", "--out-prefix", str(prefix)]) == 0
    meta = json.loads(Path(f"{prefix}_stats.json").read_text())
    vols = meta["volumes"]
    gxt = vols.index({"term": "group:treatment", "stat": "F", "df_num": 1, "df_den": 41})
    stats = nib.load(f"{prefix}_stats.nii.gz").get_fdata()
    assert stats.shape == (*shape, len(vols))
    ours = stats[..., gxt].reshape(-1)
    assert ours[0] == 0 and np.allclose(ours[1:], fit.F[4, 1:60], rtol=1e-5)
    p_vol = vols.index({"term": "group:treatment", "stat": "p", "df_num": 1, "df_den": 41})
    assert stats[0, 0, 0, p_vol] == 1.0
    assert {"coef": "group1:treatment1", "term": "group:treatment", "stat": "t", "df": 41} in vols
    assert nib.load(f"{prefix}_resid.nii.gz").shape == (*shape, len(data))
    fitmask = nib.load(f"{prefix}_fitmask.nii.gz").get_fdata()
    assert fitmask[0, 0, 0] == 1 + CONSTANT and np.sum(fitmask == 1) == 59
    # the report figure: signed -log10 p of the term, sign of its coefficient's t
    from trialmri.lme.plots import plot_lme_overview, signed_log_p

    logp = signed_log_p(stats, vols, "group:treatment")
    t_vol = stats[..., vols.index({"coef": "group1:treatment1", "term": "group:treatment", "stat": "t", "df": 41})]
    inside = fitmask == 1
    assert np.all(np.sign(logp[inside]) == np.sign(t_vol[inside]))
    assert np.allclose(np.abs(logp[inside]), -np.log10(stats[..., p_vol][inside]), rtol=1e-5)
    template = nib.Nifti1Image(np.abs(Y.mean(0)).astype(np.float32), affine)
    png = plot_lme_overview(nib.load(f"{prefix}_stats.nii.gz"), vols, inside, template, "group:treatment",
                            tmp_path / "lme.png", title="test")
    assert Path(png).stat().st_size > 10_000
    with pytest.raises(ValueError, match="not in the model"):
        signed_log_p(stats, vols, "dose")
    # a table without InputFile is one clear error
    table.drop(columns="InputFile").to_csv(tmp_path / "bad.tsv", sep="\t", index=False)
    assert main(["lme", "--table", str(tmp_path / "bad.tsv"), "--formula", FORMULA,
                 "--out-prefix", str(prefix)]) == 2


def test_a_model_the_data_cannot_estimate_is_recorded_not_fitted(tmp_path):
    """Two subjects cannot estimate group*treatment+order: the program stops with the reason; the
    workflow's writer records it in the outputs (fitted false, reason) and draws it."""
    from trialmri.stats.formula import NotEstimable
    from trialmri.lme.lme_files import NOT_ESTIMABLE, run_lme_files, write_not_estimable
    from trialmri.lme.plots import plot_not_estimable

    affine = np.eye(4)
    rows = [("a", "HV", "ketamine", "KP"), ("a", "HV", "placebo", "KP"), ("b", "TRD", "ketamine", "PK"),
            ("b", "TRD", "placebo", "PK")]
    paths = []
    for i, _ in enumerate(rows):
        nib.save(nib.Nifti1Image(np.random.default_rng(i).normal(size=(3, 3, 2)).astype(np.float32), affine),
                 tmp_path / f"m{i}.nii.gz")
        paths.append(f"m{i}.nii.gz")
    nib.save(nib.Nifti1Image(np.ones((3, 3, 2), np.uint8), affine), tmp_path / "mask.nii.gz")
    table = pd.DataFrame(rows, columns=["subject", "group", "treatment", "order"]).assign(InputFile=paths)
    table.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    args = (tmp_path / "t.tsv", FORMULA, "subject", str(tmp_path / "P"))
    with pytest.raises(NotEstimable, match="cannot be estimated|cannot estimate"):
        run_lme_files(*args, mask_path=tmp_path / "mask.nii.gz")
    meta = write_not_estimable(*args, tmp_path / "mask.nii.gz", "4 rows cannot estimate 5 fixed effects")
    saved = json.loads(Path(tmp_path / "P_stats.json").read_text())
    assert saved["fitted"] is False and "4 rows" in saved["reason"] and meta["n_subjects"] == 2
    assert {"term": "group:treatment", "stat": "p", "df_num": None, "df_den": None} in saved["volumes"]
    stats = nib.load(tmp_path / "P_stats.nii.gz").get_fdata()
    assert stats.shape == (3, 3, 2, 10) and np.all(stats[..., 1::2] == 1) and np.all(stats[..., ::2] == 0)
    assert np.all(nib.load(tmp_path / "P_fitmask.nii.gz").get_fdata() == NOT_ESTIMABLE)
    assert Path(plot_not_estimable(saved["reason"], tmp_path / "n.png")).stat().st_size > 5_000
