"""Denominator degrees of freedom of nlme's Wald F and t tests, for one grouping level (subject).

The rule of ``nlme:::getFixDF`` (nlme 3.1): each design column lives in the stratum where it
varies. A column that varies within at least one subject is estimated at the observation level
("Residual"), one that is constant within every subject at the subject level. A stratum starts
with its number of independent units (M subjects; N - M observations beyond the subject means),
and loses one df per column (per term: per parameter) estimated in it. The intercept costs the
subject stratum one df, and intercept-like terms take the largest remaining df. So with 46
subjects and 89 observations, ``group*treatment + order`` gives group and order 46 - 1 - 2 = 43,
treatment and group:treatment 89 - 46 - 2 = 41.
"""

from __future__ import annotations

import numpy as np

SUBJECT, RESIDUAL = 0, 1


def _constant(x: np.ndarray, tol: float = np.sqrt(np.finfo(float).eps)) -> bool:
    """nlme's ``const``: the column is (nearly) a multiple of a column of ones."""
    return bool(np.all(np.abs(x if x[0] == 0 else x / x[0] - 1) < tol))


def _varies_within(x: np.ndarray, subject: np.ndarray) -> bool:
    """True when ``x`` differs within at least one subject (nlme's ``inner_perc_table`` > 0)."""
    order = np.lexsort((x, subject))
    s, v = subject[order], x[order]
    same = s[1:] == s[:-1]
    return bool(np.any(same & (v[1:] != v[:-1])))


def fixed_effect_df(X: np.ndarray, subject: np.ndarray, assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Denominator df per column of ``X`` and per term (``assign`` maps column -> term index).

    ``subject``: integer codes, one per row. Returns ``(column_df, term_df)`` as float arrays.
    """
    X = np.asarray(X, float)
    n, p = X.shape
    m = len(np.unique(subject))
    n_terms = int(assign.max()) + 1
    df_x = np.array([m, n - m], dtype=float)
    df_terms = df_x.copy()
    col_df = np.zeros(p)
    term_df = np.zeros(n_terms)
    not_int_x = np.array([not _constant(X[:, j]) for j in range(p)])
    not_int_terms = np.array([not_int_x[assign == t].any() for t in range(n_terms)])
    if not_int_x.any():
        strat_x = np.array([RESIDUAL if _varies_within(X[:, j], subject) else SUBJECT for j in range(p)])
        strat_terms = np.array([strat_x[assign == t].max() for t in range(n_terms)])
        for stratum in (SUBJECT, RESIDUAL):
            df_x[stratum] -= np.sum(not_int_x & (strat_x == stratum))
            sizes = np.array([np.sum(assign == t) for t in range(n_terms)])
            df_terms[stratum] -= np.sum(sizes[not_int_terms & (strat_terms == stratum)])
        if not not_int_x.all():
            df_x[SUBJECT] -= 1
        else:
            df_x[RESIDUAL] += 1
        if not not_int_terms.all():
            df_terms[SUBJECT] -= 1
        else:
            df_terms[RESIDUAL] += 1
        col_df[not_int_x] = df_x[strat_x[not_int_x]]
        term_df[not_int_terms] = df_terms[strat_terms[not_int_terms]]
    if not not_int_x.all():
        col_df[~not_int_x] = df_x.max()
        if not not_int_terms.all():
            term_df[~not_int_terms] = df_terms.max()
    return col_df, term_df
