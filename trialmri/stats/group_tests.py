"""Two-group comparisons and within-group correlations, two-tailed.

Sign conventions: a t statistic (and a mean difference) is *treatment − control*, so t > 0 when
the treatment group's mean is higher. (SPSS orders groups by their code; the source study's
t(96) = −3.01 for ΔMADRS reads as vehicle − ketamine in this convention's terms.)

Not pingouin (0.7.0; bench/pingouin_vs_group_tests.py): its Student t/df/p, Welch t/p and r/p equal ours
bit for bit, but ``ttest``'s Cohen's d is unsigned, its Welch df is 1 ulp off on 2 of 6 inputs (our
TSVs print full precision), ``corr`` rounds CI95 to 2 decimals (up to 5e-3 off), n/means/SDs need more
calls, and it adds seaborn, xarray, pandas-flavor (~22 MB) and ~1 s of import to our ~1 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

TTEST_COLUMNS = ["variable", "n_treatment", "n_control", "mean_treatment", "sd_treatment",
                 "mean_control", "sd_control", "difference", "t", "df", "p", "welch_t",
                 "welch_df", "welch_p", "cohens_d"]
PEARSON_COLUMNS = ["group", "n", "r", "p", "ci_low", "ci_high"]


def format_p(p: float) -> str:
    """A p value as papers print it: three decimals, ``< 0.001`` below that, ``n/a`` for NaN."""
    if not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: float) -> str:
    """``p`` ready to follow "p ": ``= 0.035``, ``< 0.001``."""
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def independent_ttest(values, groups, treatment: str, control: str, variable: str = "") -> dict:
    """Student's t-test (equal variances, as SPSS's first row and the study report) of
    ``values`` between ``treatment`` and ``control`` labels in ``groups``, plus Welch's test and
    Cohen's d (pooled SD). Missing values are dropped per group.

    Returns a dict with :data:`TTEST_COLUMNS`; statistics are NaN if a group has < 2 values.
    """
    values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    groups = np.asarray(groups)
    a = values[(groups == treatment) & np.isfinite(values)]
    b = values[(groups == control) & np.isfinite(values)]
    row = {"variable": variable, "n_treatment": a.size, "n_control": b.size,
           "mean_treatment": a.mean() if a.size else np.nan,
           "sd_treatment": a.std(ddof=1) if a.size > 1 else np.nan,
           "mean_control": b.mean() if b.size else np.nan,
           "sd_control": b.std(ddof=1) if b.size > 1 else np.nan}
    row["difference"] = row["mean_treatment"] - row["mean_control"]
    if a.size < 2 or b.size < 2:
        return row | {k: np.nan for k in TTEST_COLUMNS if k not in row}
    student = stats.ttest_ind(a, b, equal_var=True)
    welch = stats.ttest_ind(a, b, equal_var=False)
    df = a.size + b.size - 2
    pooled = np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / df)
    return row | {"t": float(student.statistic), "df": df, "p": float(student.pvalue),
                  "welch_t": float(welch.statistic), "welch_df": float(welch.df),
                  "welch_p": float(welch.pvalue),
                  "cohens_d": row["difference"] / pooled if pooled > 0 else np.nan}


def pearson(x, y, confidence: float = 0.95) -> dict:
    """Pearson r of ``x`` and ``y`` over complete pairs, its two-tailed p and a Fisher-z CI.

    Returns ``{"n", "r", "p", "ci_low", "ci_high"}``; NaN statistics when n < 3 or a variable is
    constant.
    """
    x = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    out = {"n": int(keep.sum()), "r": np.nan, "p": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return out
    result = stats.pearsonr(x, y)
    ci = result.confidence_interval(confidence) if x.size > 3 else None
    return out | {"r": float(result.statistic), "p": float(result.pvalue),
                  "ci_low": float(ci.low) if ci else np.nan, "ci_high": float(ci.high) if ci else np.nan}


def pearson_by_group(x, y, groups, order) -> pd.DataFrame:
    """:func:`pearson` within each group label in ``order``; one row per group."""
    groups = np.asarray(groups)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rows = [{"group": g} | pearson(x[groups == g], y[groups == g]) for g in order]
    return pd.DataFrame(rows, columns=PEARSON_COLUMNS)


def fisher_r_to_z(r_a: float, n_a: int, r_b: float, n_b: int) -> dict:
    """Fisher's test of two independent correlations: z = (atanh r_a − atanh r_b) / √(1/(n_a − 3) +
    1/(n_b − 3)), two-tailed normal p. Returns ``{"z", "p"}`` (NaN when an r is missing or n <= 3)."""
    if not (np.isfinite(r_a) and np.isfinite(r_b)) or n_a <= 3 or n_b <= 3:
        return {"z": np.nan, "p": np.nan}
    z = (np.arctanh(r_a) - np.arctanh(r_b)) / np.sqrt(1 / (n_a - 3) + 1 / (n_b - 3))
    return {"z": float(z), "p": float(2 * stats.norm.sf(abs(z)))}
