"""DTI group statistics on tables: OLS equals R's lm(), Winsorizing, t-tests, the study's
published figures, the analysis table's exclusions and codes, and the planted interaction."""


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialmri.dwi.dti_table import analysis_table, participant_covariates
from trialmri.dwi.dti_tests import correlations, fit_models, group_ttests, table2
from trialmri.stats.group_tests import independent_ttest, pearson
from trialmri.stats.ols import fit_ols
from trialmri.stats.winsorize import winsorize
from trialmri.synth import design
from trialmri.synth.presets import get_preset

COVARIATES = ["baseline_md", "treatment_resistance", "psychotropic_medication"]


# --- OLS against R -----------------------------------------------------------------------------


def test_ols_refuses_rank_deficient_and_too_small_designs_naming_the_model():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4, 5], "x": [1.0, 2, 3, 4, 6], "c": 1.0})
    with pytest.raises(ValueError, match="rank deficient"):
        fit_ols(data, "y ~ x + c")
    with pytest.raises(ValueError, match="only 3 complete rows"):
        fit_ols(data.iloc[:3], "y ~ x * c")


# --- the study's published figures -------------------------------------------------------------
# R 4.2.2: 2 * pt(-abs(t), 94), the reference for our p.


# --- Winsorizing -------------------------------------------------------------------------------
def test_winsorize_sd_pulls_values_beyond_k_sd_to_the_boundary():
    x = np.array([0.0] * 20 + [10.0])
    mean, sd = x.mean(), x.std(ddof=1)
    result = winsorize(x, "sd", k=3)
    assert result.high == pytest.approx(mean + 3 * sd) and result.low == pytest.approx(mean - 3 * sd)
    assert 10.0 > result.high and result.values[-1] == result.high
    assert (result.values[:-1] == 0).all() and (result.n_low, result.n_high) == (0, 1)
    assert winsorize(x, "sd", k=5).n_changed == 0  # 10 lies within mean + 5 SD


def test_winsorize_sd_ties_move_together_and_nan_stays():
    x = np.array([1.0] * 30 + [50.0, 50.0, np.nan])
    result = winsorize(x, "sd", k=2)
    assert result.n_high == 2 and result.values[30] == result.values[31] == result.high
    assert np.isnan(result.values[-1]) and (result.values[:30] == 1.0).all()


def test_winsorize_all_equal_and_short_columns_are_unchanged():
    for method in ("sd", "percentile"):
        equal = winsorize(np.full(7, 0.3), method)
        assert equal.n_changed == 0 and (equal.values == 0.3).all()
        short = winsorize(np.array([1.0, np.nan]), method)
        assert short.n_changed == 0 and np.isnan(short.low)


def test_winsorize_percentile_uses_type7_boundaries_and_handles_ties():
    x = np.arange(1.0, 21.0)  # 1..20
    result = winsorize(x, "percentile", lower=10, upper=90)
    assert (result.low, result.high) == (pytest.approx(2.9), pytest.approx(18.1))  # R quantile type 7
    assert (result.n_low, result.n_high) == (2, 2)
    assert result.values[0] == result.values[1] == pytest.approx(2.9)
    ties = winsorize(np.array([5.0] * 10 + [1.0, 9.0]), "percentile", lower=5, upper=95)
    assert ties.n_changed == 2 and set(np.round(ties.values, 6)) <= {round(ties.low, 6), 5.0, round(ties.high, 6)}


@pytest.mark.parametrize("kwargs, words", [({"method": "trim"}, "unknown"), ({"method": "sd", "k": 0}, "k > 0"),
                                           ({"method": "percentile", "lower": 90, "upper": 10}, "lower < upper")])
def test_winsorize_rejects_bad_settings(kwargs, words):
    with pytest.raises(ValueError, match=words):
        winsorize([1.0, 2.0, 3.0], **kwargs)


# --- t-tests and correlations ------------------------------------------------------------------
def test_ttest_is_student_treatment_minus_control_with_welch_beside():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1, 1, 12), rng.normal(0, 2, 9)
    row = independent_ttest(np.r_[a, b, np.nan], ["k"] * 12 + ["v"] * 9 + ["k"], "k", "v", "x")
    ref = stats.ttest_ind(a, b)
    assert row["t"] == pytest.approx(ref.statistic) and row["p"] == pytest.approx(ref.pvalue)
    assert row["df"] == 19 and row["n_treatment"] == 12 and row["difference"] == pytest.approx(a.mean() - b.mean())
    assert row["welch_t"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).statistic)


def test_pearson_drops_incomplete_pairs_and_is_nan_when_undefined():
    out = pearson([1, 2, 3, 4, np.nan], [2, 4, 5, 9, 1])
    assert out["n"] == 4 and out["r"] == pytest.approx(stats.pearsonr([1, 2, 3, 4], [2, 4, 5, 9]).statistic)
    assert np.isnan(pearson([1, 1, 1, 1], [1, 2, 3, 4])["r"])


# --- the analysis table ------------------------------------------------------------------------
def _roi_md(subjects, rois=("a", "b"), drop=(), coverage=1.0):
    rows = []
    for i, sub in enumerate(subjects):
        for ses, value in (("pre", 0.80 + 0.01 * i), ("post", 0.79 + 0.005 * i)):
            if (sub, ses) in drop:
                continue
            rows += [{"subject": sub, "session": ses, "roi": r, "md": value + j * 0.1, "n_voxels": 10,
                      "coverage": coverage} for j, r in enumerate(rois)]
    return pd.DataFrame(rows)


def _sessions(subjects, scores):
    return pd.DataFrame([{"participant_id": f"sub-{s}", "session_id": f"ses-{ses}", "madrs": v}
                         for s in subjects for ses, v in zip(("pre", "post"), scores.get(s, (30, 20)))])


SETTINGS = dict(pre="pre", post="post", treatment="ketamine", outcomes={"madrs": "madrs"},
                participant_columns={"failed_trials": "failed_trials"},
                winsorizing={"method": "sd", "k": 3}, min_coverage=0.5)
COVARIATE_SPECS = {"baseline_md": {"source": "baseline_md"},
                   "treatment_resistance": {"source": "participants", "column": "failed_trials", "at_least": 3},
                   "medication": {"source": "participants", "column": "med", "reference": "no"}}


def _participants(subjects):
    return pd.DataFrame({"participant_id": [f"sub-{s}" for s in subjects],
                         "failed_trials": [1, 2, 3, 5, 0, 4][:len(subjects)],
                         "med": ["no", "yes", "yes", "no", "n/a", "yes"][:len(subjects)]}).replace("n/a", np.nan)


def test_analysis_table_delta_md_is_pre_minus_post_with_codes_and_exclusions():
    subs = ["s1", "s2", "s3", "s4", "s5", "s6"]
    groups = dict(zip(subs, ["ketamine", "vehicle"] * 3))
    table, report, excl = analysis_table(
        _roi_md(subs, drop={("s6", "post")}), groups, _participants(subs),
        _sessions(subs, {"s2": (30, "x"), "s3": (25, np.nan)}), covariates=COVARIATE_SPECS, **SETTINGS)
    row = table[(table["subject"] == "s1") & (table["roi"] == "a")].iloc[0]
    assert row["delta_md_raw"] == pytest.approx(0.80 - 0.79) and row["group"] == 1 and row["delta_madrs"] == 10
    assert (table.loc[table["subject"] == "s2", "group"] == 0).all()
    assert row["baseline_md"] == row["md_pre"]
    coded = table.drop_duplicates("subject").set_index("subject")
    assert coded.loc[["s1", "s2", "s3", "s4"], "treatment_resistance"].tolist() == [0, 0, 1, 1]
    assert coded.loc[["s1", "s2", "s3", "s4"], "medication"].tolist() == [0, 1, 1, 0]
    assert np.isnan(coded.loc["s5", "medication"])
    reasons = {(r.subject, r.session): r.reason for r in excl.itertuples()}
    assert "ΔMD needs both" in reasons[("s6", "post")] and "s6" not in set(table["subject"])
    assert "not a number" in reasons[("s2", "post")] and np.isnan(coded.loc["s2", "delta_madrs"])
    assert "no madrs score" in reasons[("s3", "post")]
    assert "covariate medication" in reasons[("s5", "n/a")]
    assert list(report["roi"]) == ["a", "b"] and (report["n"] == 5).all()


def test_low_roi_coverage_is_nan_and_an_exclusion_row():
    subs = ["s1", "s2"]
    table, _, excl = analysis_table(_roi_md(subs, coverage=0.3), dict(zip(subs, ["ketamine", "vehicle"])),
                                    _participants(subs), _sessions(subs, {}), covariates={}, **SETTINGS)
    assert table["delta_md_raw"].isna().all()
    assert excl["reason"].str.contains("only 30% of its voxels").all() and len(excl) == 8


def test_covariate_with_more_than_two_levels_is_an_error_naming_column():
    part = pd.DataFrame({"participant_id": ["sub-a", "sub-b", "sub-c"], "med": ["no", "ssri", "snri"]})
    with pytest.raises(ValueError, match="'med' has levels"):
        participant_covariates(part, ["a", "b", "c"], {"m": {"source": "participants", "column": "med",
                                                            "reference": "no"}}, {})


# --- the planted interaction on synthetic data at the study's n ---------------------------------
def _synthetic_trial_table(seed, clinical=None):
    """The study-size synthetic trial's design (trialmri synth's own generator) with its planted
    ΔMD as ROI means (no images)."""
    participants, sessions, truth = design.dti_design(get_preset("study"), np.random.default_rng(seed),
                                                      clinical=clinical)
    groups = {s: info["group"] for s, info in truth["subjects"].items()}
    settings = SETTINGS | {"outcomes": {"madrs": "madrs", "qids_sr": "qids_sr"},
                           "participant_columns": {}}
    covariates = {"baseline_md": {"source": "baseline_md"},
                  "severe": {"source": "participants", "column": "failed_trials", "at_least": 3},
                  "medication": {"source": "participants", "column": "psychotropic_medication",
                                 "reference": "no"}}
    table, _, _ = analysis_table(design.planted_roi_md(truth), groups, participants, sessions,
                                 covariates=covariates, **settings)
    return table, truth, list(covariates)


def test_planted_interaction_is_found_in_its_roi_with_its_sign_at_the_study_n():
    # Seed 1, the README's seed for synthetic data. The planted effects are study-sized (power
    # 0.5-0.8 per ROI x outcome at n = 98, bench/dti_interaction_null.py), so the sensitivity
    # models are checked for the study's claim: adding a covariate barely moves the interaction.
    table, truth, covariates = _synthetic_trial_table(seed=1)
    coefs, models = fit_models(table, "delta_score ~ delta_md * group", ["madrs", "qids_sr"],
                               "delta_md_winsorized", covariates)
    rows = table2(coefs, models, "delta_md:group").set_index(["roi", "outcome", "model"])
    assert (models["n"] == 98).all() and (rows["df"].loc[:, :, "main"] == 94).all()
    assert (rows["df"].loc[:, :, "baseline_md"] == 93).all()
    for outcome, spec in truth["clinical"].items():
        for roi, coef in spec["ketamine_coef"].items():
            main = rows.loc[(roi, outcome, "main")]
            assert main["p"] < 0.05 and np.sign(main["beta"]) == np.sign(coef), (roi, outcome)
            for model in covariates:
                other = rows.loc[(roi, outcome, model)]
                assert other["t"] == pytest.approx(main["t"], rel=0.25), (roi, outcome, model)
    corr = correlations(table, ["qids_sr"], "delta_md_winsorized", ["ketamine", "vehicle"])
    ket = corr[(corr["roi"] == "lba10") & (corr["group"] == "ketamine")].iloc[0]
    assert ket["n"] == 67 and ket["r"] > 0 and ket["p"] < 0.05
    tests = group_ttests(table, ["madrs", "qids_sr"], "ketamine", "vehicle").set_index(["roi", "variable"])
    assert tests.loc[("n/a", "delta_madrs"), "t"] > 0  # planted: ketamine improves more
    assert tests.loc[("lba10", "delta_md_raw"), "df"] == 96


def test_models_that_cannot_be_fitted_are_rows_with_their_reason():
    table, _, covariates = _synthetic_trial_table(seed=2)
    few = table[table["subject"].isin(table["subject"].unique()[:4])]
    coefs, models = fit_models(few, "delta_score ~ delta_md * group", ["madrs"], "delta_md_raw", covariates)
    rows = table2(coefs, models, "delta_md:group")
    assert len(rows) == 7 * 4 and rows["t"].isna().all() and rows["note"].str.contains("complete rows").all()
    coefs, models = fit_models(table, "delta_score ~ delta_md * group", ["madrs"], "delta_md_raw", [])
    with pytest.raises(ValueError, match="no model has a term 'md:group'"):
        table2(coefs, models, "md:group")


def test_rendered_table2_bolds_significant_p_and_gives_unfitted_models_their_reason():
    from trialmri.stats.group_tests import format_p
    from trialmri.dwi.table2_html import render_table2

    assert (format_p(0.0004), format_p(0.0346), format_p(float("nan"))) == ("< 0.001", "0.035", "n/a")
    rows = pd.DataFrame([
        {"roi": "lba10", "outcome": "qids_sr", "model": "main", "beta": 0.386, "t": 2.143, "df": 94,
         "p": 0.0347, "note": ""},
        {"roi": "lba10", "outcome": "qids_sr", "model": "med", "beta": np.nan, "t": np.nan, "df": np.nan,
         "p": np.nan, "note": "rank deficient"}])
    page = render_table2(rows, {"lba10": "L BA10"}, {"qids_sr": "QIDS-SR"}, {"med": "+ medication"}, "cap")
    assert "<td>0.386</td><td>2.143 (94)</td><td class=sig>0.035</td>" in page
    assert "title='rank deficient'>n/a" in page and "L BA10" in page and "+ medication" in page
