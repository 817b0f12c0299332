"""Type III hypothesis matrices as R's lmerTest builds them (``get_contrasts_type3``), so that
multi-df F tests get lmerTest's Satterthwaite df: the combined df of a q-row contrast depends on
the basis of its rows, not only on the hypothesis, so the basis must be lmerTest's.

lmerTest's construction, reproduced: X_t, the treatment-coded design (first level the
reference, columns ``groupTRD``, ``groupTRD:siteB``); rdX, the over-parametrized design (an
indicator for every level or cell of each term, covariates centred as in the fitted design);
L = (X_t⁺ rdX)'; from the highest-order term down, a term's columns are replaced by their
residuals on the columns of the terms that contain it (same factors and more, same covariates);
the rows named as X_t's columns are kept; a term's hypothesis is the transpose of its columns,
zero rows dropped. The result is mapped onto the fitted coding with X_t⁺ X.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from trialmri.stats.formula import INTERCEPT, Design, parse_formula


def _block(values: pd.Series, name: str, levels: list[str] | None, all_levels: bool, center: float):
    if levels is None:
        return (pd.to_numeric(values).to_numpy(float) - center)[:, None], [name]
    chosen = levels if all_levels else levels[1:]
    codes = values.astype(str).to_numpy()
    return np.stack([(codes == lv).astype(float) for lv in chosen], axis=1), [f"{name}{lv}" for lv in chosen]


def _coded(table: pd.DataFrame, terms, levels: dict, all_levels: bool, centers: dict):
    variables = list(dict.fromkeys(v for t in terms for v in t))
    blocks = {v: _block(table[v], v, levels.get(v), all_levels, centers.get(v, 0.0)) for v in variables}
    cols, names, assign = [np.ones(len(table))], [INTERCEPT], [0]
    for index, term in enumerate(terms, start=1):
        parts = [blocks[v] for v in term]
        for combo in itertools.product(*[range(len(p[1])) for p in reversed(parts)]):
            idx = combo[::-1]  # the first variable varies fastest, as in R
            col = np.ones(len(table))
            for (values, _), j in zip(parts, idx):
                col = col * values[:, j]
            cols.append(col)
            names.append(":".join(p[1][j] for p, j in zip(parts, idx)))
            assign.append(index)
    return np.stack(cols, axis=1), names, np.asarray(assign)


def _contains(inner: tuple, outer: tuple, levels: dict) -> bool:
    """lmerTest's term_contain: ``outer`` has all of ``inner``'s variables and more, and the same
    covariates."""
    numeric = lambda term: {v for v in term if v not in levels}  # noqa: E731
    return set(inner) < set(outer) and numeric(inner) == numeric(outer)


def _residuals(Y: np.ndarray, X: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(X, Y, rcond=None)
    return Y - X @ coef


def _zapsmall(a: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's zapsmall: round to ``digits`` below the largest magnitude."""
    top = np.max(np.abs(a)) if a.size else 0.0
    if top == 0:
        return a
    return np.round(a, max(0, digits - int(np.ceil(np.log10(top)))))


def type3_contrasts(design: Design, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per term (R label), the rows of its Type III hypothesis on ``design``'s coefficients."""
    terms = parse_formula(design.formula)
    labels = [":".join(t) for t in terms]
    Xt, xt_names, xt_assign = _coded(table, terms, design.levels, False, design.centers)
    rdX, rd_names, _ = _coded(table, terms, design.levels, True, design.centers)
    pinv = np.linalg.pinv(Xt)
    L = _zapsmall((pinv @ rdX).T)  # rows: rdX parameters, columns: X_t columns
    columns = {label: np.flatnonzero(xt_assign == i) for i, label in enumerate(labels, start=1)}
    for i in sorted(range(len(terms)), key=lambda k: -len(terms[k])):
        containing = [j for j in range(len(terms)) if _contains(terms[i], terms[j], design.levels)]
        if containing:
            other = np.concatenate([columns[labels[j]] for j in containing])
            L[:, columns[labels[i]]] = _zapsmall(_residuals(L[:, columns[labels[i]]], L[:, other]))
    L = L[[rd_names.index(name) for name in xt_names]]
    to_design = _zapsmall(pinv @ design.X)
    out = {}
    for label in labels:
        rows = L[:, columns[label]].T
        rows = rows[np.abs(rows).sum(axis=1) > 1e-8]
        out[label] = rows @ to_design
    return out
