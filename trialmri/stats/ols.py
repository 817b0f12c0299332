"""Ordinary least squares from an R-style formula, with SPSS-style standardized betas.

Standardized β (SPSS "Standardized Coefficients, Beta"): for every design column x_j,
``beta_j = B_j · SD(x_j) / SD(y)`` over the rows used. Columns enter as built by the formula from
the variables *as given* (an interaction column is the product of the unstandardized variables;
a 0/1 group code stays 0/1), so t, df and p are those of the unstandardized model and equal R's
``lm()``. The intercept has no beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BETA_SCALING = ("beta = B * SD(x) / SD(y) over the rows used, x the design column as entered "
                "(interaction = product of unstandardized variables; 0/1 codes kept), as SPSS "
                "reports Standardized Coefficients Beta; t, df and p are those of the "
                "unstandardized model")
COEFFICIENT_COLUMNS = ["term", "estimate", "se", "beta", "t", "df", "p"]


@dataclass(frozen=True)
class OLSFit:
    """One fitted model: a row per coefficient, and model-level statistics."""

    formula: str
    coefficients: pd.DataFrame  # COEFFICIENT_COLUMNS
    n: int
    df_resid: int
    r2: float
    r2_adj: float
    f: float
    f_p: float

    def term(self, name: str) -> pd.Series:
        """The coefficient row of term ``name`` (R's name, e.g. ``delta_md:group``)."""
        rows = self.coefficients[self.coefficients["term"] == name]
        if rows.empty:
            raise KeyError(f"model {self.formula!r} has no term {name!r}; its terms: "
                           f"{', '.join(self.coefficients['term'])}")
        return rows.iloc[0]


def fit_ols(data: pd.DataFrame, formula: str) -> OLSFit:
    """Fit ``formula`` (e.g. ``"delta_score ~ delta_md * group"``) to ``data`` by OLS.

    Rows with a missing value in any model variable are dropped (their number is ``len(data) -
    n``). Raises ValueError if fewer rows remain than coefficients + 1, or the design is rank
    deficient (a constant covariate, a group with no members).
    """
    import statsmodels.formula.api as smf

    try:
        model = smf.ols(formula, data, missing="drop")
    except Exception as err:  # patsy/formulaic errors name the variable; keep theirs
        raise ValueError(f"cannot build OLS model {formula!r}: {err}") from err
    X, y = model.exog, model.endog
    n, k = X.shape
    if n <= k:
        raise ValueError(f"OLS model {formula!r} has {k} coefficients but only {n} complete rows")
    if np.linalg.matrix_rank(X) < k:
        raise ValueError(f"OLS model {formula!r}: the design is rank deficient on its {n} complete "
                         "rows (a variable is constant or collinear with others)")
    fit = model.fit()
    names = ["(Intercept)" if n == "Intercept" else n for n in model.exog_names]  # R's name
    sd_x = X.std(axis=0, ddof=1)
    sd_y = y.std(ddof=1)
    beta = np.where(sd_x > 0, fit.params * sd_x / sd_y, np.nan)
    coefficients = pd.DataFrame({
        "term": names,
        "estimate": np.asarray(fit.params),
        "se": np.asarray(fit.bse),
        "beta": beta,
        "t": np.asarray(fit.tvalues),
        "df": int(fit.df_resid),
        "p": np.asarray(fit.pvalues),
    })
    return OLSFit(formula, coefficients, int(n), int(fit.df_resid), float(fit.rsquared),
                  float(fit.rsquared_adj), float(fit.fvalue), float(fit.f_pvalue))
