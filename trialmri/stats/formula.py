"""Fixed-effects design of a mixed model from an R-style formula, coded and named as R codes it
under ``options(contrasts = c("contr.sum", "contr.poly"))`` (what AFNI's 3dLME sets).

Formula: terms joined by ``+``; ``a*b`` expands to ``a + b + a:b`` (and ``a*b*c`` to every
sub-product); ``a:b`` is the interaction alone; an optional ``y ~`` left-hand side is ignored. Terms
are ordered as R's ``terms()`` orders them: by degree, then by first appearance.

Coding: a factor with levels L1 < ... < Lk (sorted as R sorts character levels) gets k - 1
sum-to-zero columns named ``<var>1`` ... ``<var>k-1``: column j is +1 for level j, -1 for the last
level, 0 otherwise. A quantitative variable (3dLME's ``-qVars``) is one column named as the
variable, entered as given, or minus its centre where ``centers`` names it (3dLME's
``-qVarCenters``; a centre of None is the variable's mean over the table's rows, what 3dLME uses
without ``-qVarCenters``: ``trialmri.lme.covariates``). Interaction columns are products, the
first variable's columns varying fastest (R: ``group1:treatment1``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INTERCEPT = "(Intercept)"


class NotEstimable(ValueError):
    """The data cannot estimate the model (too few rows, a one-level factor, a confounded term)."""

_NAME = re.compile(r"^[A-Za-z.][\w.]*$")


@dataclass(frozen=True)
class Design:
    """``X`` (rows x columns, float64); ``columns`` R's coefficient names; ``terms`` R's term labels,
    ``(Intercept)`` first; ``assign[j]`` the index in ``terms`` of column j; ``levels`` of each
    factor in coding order."""

    X: np.ndarray
    columns: list[str]
    terms: list[str]
    assign: np.ndarray
    levels: dict[str, list[str]]
    formula: str
    centers: dict[str, float] = field(default_factory=dict)

    def term_columns(self, term: str) -> np.ndarray:
        return np.flatnonzero(self.assign == self.terms.index(term))


def parse_formula(formula: str) -> list[tuple[str, ...]]:
    """Right-hand side of ``formula`` as R-ordered terms, each a tuple of variable names."""
    rhs = formula.split("~")[-1].strip()
    if not rhs:
        raise ValueError(f"formula {formula!r} has no terms; write e.g. 'group*treatment+order'")
    expanded: list[tuple[str, ...]] = []
    for chunk in rhs.split("+"):
        chunk = chunk.strip()
        if chunk == "1":
            continue
        if "*" in chunk and ":" in chunk:
            raise ValueError(f"formula {formula!r}: mixing '*' and ':' in one term ({chunk!r}) is not "
                             "supported; write the terms out, e.g. 'a + b:c + a:b:c'")
        parts = [p.strip() for p in re.split(r"[*:]", chunk)]
        for p in parts:
            if not _NAME.match(p):
                raise ValueError(f"formula {formula!r}: {p!r} is not a variable name (supported: "
                                 "names joined by '+', '*' and ':')")
        if "*" in chunk:
            for r in range(1, len(parts) + 1):
                expanded.extend(itertools.combinations(parts, r))
        else:
            expanded.append(tuple(parts))
    order: dict[str, int] = {}
    for term in expanded:
        for v in term:
            order.setdefault(v, len(order))
    unique: dict[frozenset, tuple[str, ...]] = {}
    for term in expanded:
        if len(set(term)) != len(term):
            raise ValueError(f"formula {formula!r}: a variable repeats within the term {':'.join(term)}")
        unique.setdefault(frozenset(term), tuple(sorted(term, key=order.__getitem__)))
    terms = list(unique.values())
    return sorted(terms, key=len)  # stable: by degree, then first appearance


def quantitative_values(values: pd.Series, name: str) -> np.ndarray:
    """A quantitative variable's values as float64; a non-numeric value is an error naming it."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        bad = values[numbers.isna()].iloc[0]
        raise ValueError(f"quantitative variable {name!r} has the non-numeric value {bad!r}")
    return numbers.to_numpy(float)


def _variable_block(values: pd.Series, name: str, levels: list[str] | None,
                    center: float = 0.0) -> tuple[np.ndarray, list[str]]:
    """Coded columns of one variable: sum-to-zero columns of a factor with ``levels``, or the
    numeric values of a quantitative variable (``levels`` None) minus ``center``."""
    if levels is None:
        return (quantitative_values(values, name) - center)[:, None], [name]
    codes = values.astype(str).to_numpy()
    unknown = sorted(set(codes) - set(levels))
    if unknown:
        raise ValueError(f"factor {name!r} has levels {unknown} the model was not fitted with ({levels})")
    cols = np.zeros((len(values), len(levels) - 1))
    for j, level in enumerate(levels[:-1]):
        cols[:, j] = (codes == level).astype(float) - (codes == levels[-1]).astype(float)
    return cols, [f"{name}{j + 1}" for j in range(len(levels) - 1)]


def _columns(table: pd.DataFrame, terms, levels: dict, centers: dict) -> tuple[np.ndarray, list[str], list[int]]:
    """Design columns of ``terms`` over ``table`` (factors in ``levels``, others quantitative,
    minus their ``centers``)."""
    variables = list(dict.fromkeys(v for t in terms for v in t))
    blocks = {v: _variable_block(table[v], v, levels.get(v), centers.get(v, 0.0)) for v in variables}
    columns = [np.ones((len(table), 1))]
    names = [INTERCEPT]
    assign = [0]
    for t_index, term in enumerate(terms, start=1):
        parts = [blocks[v] for v in term]
        # R: the first variable's columns vary fastest
        for combo in itertools.product(*[range(len(p[1])) for p in reversed(parts)]):
            idx = combo[::-1]
            col = np.ones(len(table))
            for (cols, _), j in zip(parts, idx):
                col = col * cols[:, j]
            columns.append(col[:, None])
            names.append(":".join(p[1][j] for p, j in zip(parts, idx)))
            assign.append(t_index)
    return np.hstack(columns), names, assign


def design_rows(design: Design, table: pd.DataFrame) -> np.ndarray:
    """Rows of ``design``'s X for new data (e.g. a reference grid), coded with the fitted levels."""
    return _columns(table, parse_formula(design.formula), design.levels, design.centers)[0]


def _check_margins(terms: list[tuple[str, ...]], quantitative, formula: str) -> None:
    """Refuse a formula R would code otherwise: in a term, R codes a factor by sum-to-zero columns
    only when the term without that factor is in the model (the intercept is the empty term), and by
    one indicator column per level when it is not (``a:b`` without ``b``, ``a + a:x``); trialmri
    codes every factor by sum-to-zero columns, so it takes hierarchical formulas only."""
    present = {frozenset(t) for t in terms} | {frozenset()}
    for term in terms:
        for v in term:
            margin = frozenset(term) - {v}
            if v not in quantitative and margin not in present:
                missing = ":".join(u for u in term if u != v)
                raise ValueError(
                    f"formula {formula!r}: the term {':'.join(term)} comes without {missing}, so R (and "
                    f"3dLME) would code {v!r} there by one indicator column per level, which trialmri "
                    f"does not; add {missing} to the formula (e.g. write {'*'.join(term)!r})")


def build_design(table: pd.DataFrame, formula: str, quantitative=(), centers=None) -> Design:
    """Design matrix of ``formula`` over ``table``; variables in ``quantitative`` are covariates,
    every other variable is a factor (as 3dLME's ``-qVars``). ``centers``: quantitative variable ->
    the value subtracted from it, None for its mean over the table's rows (3dLME's default)."""
    terms = parse_formula(formula)
    variables = list(dict.fromkeys(v for t in terms for v in t))
    missing = [v for v in variables if v not in table.columns]
    if missing:
        raise ValueError(f"formula {formula!r} names {', '.join(missing)}, not a column of the data "
                         f"table (columns: {', '.join(map(str, table.columns))})")
    _check_margins(terms, quantitative, formula)
    levels: dict[str, list[str]] = {}
    for v in variables:
        col = table[v]
        if col.isna().any():
            rows = ", ".join(str(i) for i in np.flatnonzero(col.isna().to_numpy())[:5])
            raise ValueError(f"variable {v!r} is missing in data-table rows {rows}; fill it in or drop "
                             "those rows")
        if v not in quantitative:
            levels[v] = sorted(col.astype(str).unique())
            if len(levels[v]) < 2:
                raise NotEstimable(f"factor {v!r} has one level ({levels[v][0]!r}) in the table; a term "
                                   "needs two or more levels (drop it from the formula)")
    centred = {}
    for v, center in (centers or {}).items():
        if v not in quantitative:
            raise ValueError(f"centre given for {v!r}, which is not a quantitative variable "
                             f"({', '.join(quantitative) or 'none'}); centre only -qVars variables")
        if v in variables:
            centred[v] = float(np.mean(quantitative_values(table[v], v)) if center is None else center)
    X, names, assign = _columns(table, terms, levels, centred)
    term_labels = [INTERCEPT] + [":".join(t) for t in terms]
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j:
            raise NotEstimable(
                f"term {term_labels[assign[j - 1]]!r} of {formula!r} cannot be estimated from these "
                f"{len(table)} rows: column {names[j - 1]} is a combination of the columns before it (a "
                "factor-level combination has no rows, or the term is confounded with earlier ones, e.g. "
                "every subject of a group has the same order); drop the term from the formula or add data")
    return Design(X=X, columns=names, terms=term_labels,
                  assign=np.asarray(assign), levels=levels, formula=formula, centers=centred)
