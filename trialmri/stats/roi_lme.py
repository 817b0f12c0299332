"""ROI-level linear mixed model with Satterthwaite df: what SPSS MIXED and R's
``anova(lmerTest::lmer(y ~ ..., REML = TRUE), type = 3)`` report, one outcome at a time.

Model: y = Xβ + b[subject] + e, random intercept per subject, REML. statsmodels' ``MixedLM`` fits
it (then Newton steps on the exact REML deviance until its gradient is ~0). Factors are sum-to-zero
coded (``trialmri.stats.formula``, R's ``contr.sum``; coefficients are named and valued as R's under
that coding); Type III hypotheses are lmerTest's (``trialmri.stats.type3``), denominator df
Satterthwaite's (``trialmri.stats.satterthwaite``). Estimated
marginal means are emmeans' equal-weight means over the reference grid of the factors.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from trialmri.stats.formula import INTERCEPT, Design, NotEstimable, build_design, design_rows, parse_formula
from trialmri.stats.type3 import type3_contrasts
from trialmri.stats.satterthwaite import VarianceModel, contrast_df, f_test, variance_model

GRADIENT_TOL = 1e-9  # |∂d/∂(θ, σ)| per row accepted as the optimum (else Newton steps)
NEWTON_STEPS = 20


@dataclass
class RoiLmeFit:
    """A fitted ROI model: the ANOVA (Type III F per term), coefficients, EMMs and the fit facts."""

    anova: pd.DataFrame
    coefficients: pd.DataFrame
    emmeans: pd.DataFrame
    info: dict = field(default_factory=dict)


def split_formula(formula: str) -> tuple[str, str]:
    """``"y ~ a * b"`` -> ``("y", "a * b")``; the response is required."""
    if formula.count("~") != 1 or not formula.split("~")[0].strip():
        raise ValueError(f"formula {formula!r} needs a response on the left, e.g. 'log_crp ~ group * treatment'")
    lhs, rhs = (part.strip() for part in formula.split("~"))
    return lhs, rhs


def model_rows(table: pd.DataFrame, response: str, rhs: str, random: str) -> tuple[pd.DataFrame, int]:
    """The rows with a response and every variable (R's na.omit) and how many were dropped."""
    variables = list(dict.fromkeys(v for term in parse_formula(rhs) for v in term))
    missing = [c for c in [response, random, *variables] if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column {', '.join(map(repr, missing))} (columns: "
                         f"{', '.join(map(str, table.columns))})")
    keep = table[[response, random, *variables]].notna().all(axis=1)
    if not keep.any():
        empty = [c for c in [response, random, *variables] if table[c].isna().all()]
        raise ValueError(f"no row has the response and every variable ({', '.join(empty) or 'each row misses one'}"
                         f"{' all missing' if empty else ''}); check the column names and values")
    return table.loc[keep].reset_index(drop=True), int((~keep).sum())


def _statsmodels_fit(y, X, groups) -> tuple[float, float, list[str]]:
    """REML (θ = σ_b/σ, σ) from statsmodels MixedLM, with the warnings it raised."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = MixedLM(y, X, groups=groups).fit(reml=True)
    sigma2 = float(result.scale)
    var_b = max(float(np.asarray(result.cov_re).ravel()[0]), 0.0)
    return np.sqrt(var_b / sigma2), np.sqrt(sigma2), sorted({str(w.message) for w in caught})


def _polish(y, X, groups, theta, sigma) -> tuple[VarianceModel, int]:
    """Newton steps on the REML deviance from statsmodels' estimate until the gradient is ~0
    (θ kept >= 0; at θ = 0 only σ is refined, as the boundary optimum needs)."""
    vm = variance_model(y, X, groups, theta, sigma)
    steps = 0
    if vm.theta == 0 and vm.hessian[0, 0] < 0:  # θ = 0 is a saddle, not the optimum: leave it
        vm = variance_model(y, X, groups, 0.1, sigma)
    while steps < NEWTON_STEPS:
        free = [0, 1] if vm.theta > 0 else [1]
        g = vm.gradient[free]
        if np.max(np.abs(g)) < GRADIENT_TOL * max(1.0, len(y)):
            break
        H = vm.hessian[np.ix_(free, free)]
        step = np.linalg.solve(H, g) if np.all(np.linalg.eigvalsh(H) > 0) else g / np.abs(np.diag(H))
        new = np.array([vm.theta, vm.sigma])
        new[free] -= step
        new[0] = max(new[0], 0.0)
        new[1] = max(new[1], 1e-3 * vm.sigma)
        vm = variance_model(y, X, groups, *new)
        steps += 1
    return vm, steps


def emmeans_grid(design: Design, table: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells of the factors ``by`` and their L rows: the mean of X over emmeans' reference grid
    (every level combination of every factor, quantitative variables at their mean)."""
    factors = list(design.levels)
    unknown = [v for v in by if v not in factors]
    if unknown:
        raise ValueError(f"marginal means by {unknown}: not factors of the model ({factors})")
    grid = pd.DataFrame(list(itertools.product(*design.levels.values())), columns=factors)
    for v in dict.fromkeys(v for t in parse_formula(design.formula) for v in t):
        if v not in factors:
            grid[v] = pd.to_numeric(table[v]).mean()
    rows = design_rows(design, grid)
    if not by:
        return pd.DataFrame(index=[0]), rows.mean(axis=0, keepdims=True)
    cells = grid[by].drop_duplicates().reset_index(drop=True)
    L = np.stack([rows[(grid[by] == cell).all(axis=1).to_numpy()].mean(axis=0) for _, cell in cells.iterrows()])
    return cells, L


def fit_roi_lme(table: pd.DataFrame, formula: str, random: str = "subject", quantitative=(),
                emmeans_by=None, center=()) -> RoiLmeFit:
    """Fit ``formula`` ("y ~ a * b") with a random intercept per ``random``.

    ``quantitative``: variables entered as numbers (others are factors). ``emmeans_by``: factors of
    the marginal-means table (default: the variables of the first highest-order term). ``center``:
    quantitative variables centred at their mean over the model's rows (covariates, as 3dLME
    centres them; only the intercept's estimate changes)."""
    response, rhs = split_formula(formula)
    data, dropped = model_rows(table, response, rhs, random)
    y = pd.to_numeric(data[response], errors="coerce")
    if y.isna().any():
        raise ValueError(f"response {response!r} has the non-numeric value {data[response][y.isna()].iloc[0]!r}")
    y = y.to_numpy(float)
    design = build_design(data, rhs, quantitative, dict.fromkeys(center))
    X, groups = design.X, data[random].astype(str).to_numpy()
    n_subjects = len(np.unique(groups))
    if len(y) <= X.shape[1] + 1 or n_subjects < 2:
        raise NotEstimable(f"{len(y)} rows from {n_subjects} subject(s) cannot estimate {formula!r} "
                           f"({X.shape[1]} fixed effects, 2 variances)")
    theta0, sigma0, sm_warnings = _statsmodels_fit(y, X, groups)
    vm, steps = _polish(y, X, groups, theta0, sigma0)
    beta = vm.beta

    rows = []
    for term, L in type3_contrasts(design, data).items():
        test = f_test(vm, beta, L)
        rows.append({"term": term, "F": test.F, "df_num": test.df_num, "df_den": test.df_den, "p": test.p})
    anova = pd.DataFrame(rows, columns=["term", "F", "df_num", "df_den", "p"])

    coef_rows = []
    for j, name in enumerate(design.columns):
        L = np.eye(X.shape[1])[j]
        se = float(np.sqrt(vm.C[j, j]))
        df = contrast_df(vm, L)
        t = float(beta[j] / se)
        coef_rows.append({"coefficient": name, "term": design.terms[design.assign[j]], "estimate": float(beta[j]),
                          "se": se, "df": df, "t": t, "p": float(2 * stats.t.sf(abs(t), df))})
    coefficients = pd.DataFrame(coef_rows)

    if emmeans_by is None:
        top = max(parse_formula(rhs), key=len)
        emmeans_by = [v for v in top if v in design.levels]
    cells, Ls = emmeans_grid(design, data, list(emmeans_by))
    emm = []
    for (_, cell), L in zip(cells.iterrows(), Ls):
        se = float(np.sqrt(L @ vm.C @ L))
        df = contrast_df(vm, L)
        half = stats.t.ppf(0.975, df) * se
        est = float(L @ beta)
        emm.append({**cell.to_dict(), "emmean": est, "se": se, "df": df,
                    "ci_low": est - half, "ci_high": est + half})
    emmeans = pd.DataFrame(emm)

    info = {
        "formula": f"{response} ~ {rhs}", "response": response, "random": random,
        "n_rows": len(y), "n_subjects": n_subjects, "rows_dropped_missing": dropped,
        "levels": design.levels, "centers": design.centers, "coding": "sum-to-zero (R contr.sum); Type III tests",
        "var_subject": float((vm.theta * vm.sigma) ** 2), "var_residual": float(vm.sigma**2),
        "reml_gradient": vm.gradient.tolist(), "newton_steps_after_statsmodels": steps,
        "statsmodels_warnings": sm_warnings,
        "df_method": "Satterthwaite (lmerTest's; exact Hessian of the REML deviance in (theta, sigma))",
        "intercept": INTERCEPT,
    }
    return RoiLmeFit(anova=anova, coefficients=coefficients, emmeans=emmeans, info=info)
