"""``trialmri.stats.formula`` against R's ``model.matrix`` under ``contr.sum``: same term order,
same column names in the same order, same numbers.

Each case writes a random table (fixed seed) as TSV, builds our design with ``build_design`` and
runs ``Rscript`` on the same file: ``options(contrasts = c("contr.sum", "contr.poly"))``, factors
as ``factor()`` (R's own level order), quantitative variables ``as.numeric`` minus the same centre
(R's ``mean()`` where ours is None), then ``model.matrix(~ formula, data)``. No name is mapped:
formula.py's documented convention is R's own names (``(Intercept)`` first, ``group1``,
``group1:treatment1``, a quantitative variable's own name), so R's ``colnames``, the term labels
(``attr(terms, "term.labels")``) and ``attr(, "assign")`` are compared as they are.

Levels are lower-case ASCII words (``placebo``/``ketamine``, ``sub-001``, ``ses-1``), on which R's
collation and Python's ``sorted`` agree; mixed case is the known divergence tested at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from trialmri.stats.formula import build_design

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None,
                                reason="Rscript is not on PATH: no R model.matrix to compare with")

R_SCRIPT = r"""
options(contrasts = c("contr.sum", "contr.poly"))
args <- commandArgs(trailingOnly = TRUE)
d <- read.delim(args[1], colClasses = "character", check.names = FALSE)
factors <- strsplit(args[3], ",")[[1]]
for (v in factors) d[[v]] <- factor(d[[v]])
quantitative <- if (nchar(args[4])) strsplit(args[4], ",")[[1]] else character(0)
for (item in quantitative) {
  parts <- strsplit(item, "=")[[1]]
  x <- as.numeric(d[[parts[1]]])
  centre <- if (length(parts) == 1) 0 else if (parts[2] == "mean") mean(x) else as.numeric(parts[2])
  d[[parts[1]]] <- x - centre
}
f <- as.formula(paste("~", args[2]))
m <- model.matrix(f, d)
out <- args[5]
writeLines(paste(colnames(m), collapse = "\t"), paste0(out, ".columns"))
writeLines(paste(attr(terms(f), "term.labels"), collapse = "\t"), paste0(out, ".terms"))
writeLines(paste(attr(m, "assign"), collapse = "\t"), paste0(out, ".assign"))
writeLines(apply(m, 1, function(row) paste(sprintf("%.17g", row), collapse = "\t")), paste0(out, ".X"))
for (v in factors) writeLines(levels(d[[v]]), paste0(out, ".levels.", v))
"""


def r_model_matrix(tmp_path, table: pd.DataFrame, formula: str, factors, quantitative: dict):
    """R's model.matrix of ``formula`` (right-hand side) over ``table``; ``quantitative``: name ->
    centre (0 as given, None for R's mean)."""
    data = tmp_path / "data.tsv"
    table.to_csv(data, sep="\t", index=False, lineterminator="\n")
    script = tmp_path / "model_matrix.R"
    script.write_text(R_SCRIPT)
    q = ",".join(f"{v}=mean" if c is None else f"{v}={c!r}" for v, c in quantitative.items())
    out = tmp_path / "r"
    rhs = formula.split("~")[-1].strip()
    subprocess.run(["Rscript", str(script), str(data), rhs, ",".join(factors), q, str(out)],
                   check=True, capture_output=True, text=True)

    def read(suffix: str) -> str:
        return (tmp_path / f"r.{suffix}").read_text().rstrip("\n")

    X = np.array([[float(w) for w in line.split("\t")] for line in read("X").split("\n")])
    levels = {v: read(f"levels.{v}").split("\n") for v in factors}
    return (read("columns").split("\t"), read("terms").split("\t"),
            [int(w) for w in read("assign").split("\t")], X, levels)


def study_table(seed: int, n: int = 72) -> pd.DataFrame:
    """Random rows with every cell of group x treatment x order x session filled (so every design is
    estimable), lower-case string levels, two quantitative columns (ages in quarter years, and an
    unrounded score)."""
    rng = np.random.default_rng(seed)
    cells = pd.MultiIndex.from_product([["placebo", "ketamine"], ["drug", "vehicle"],
                                        ["ab", "ba", "cc"], ["ses-1", "ses-2", "ses-3"]]).to_frame(index=False)
    cells.columns = ["group", "treatment", "order", "session"]
    extra = cells.sample(n - len(cells), replace=True, random_state=seed)
    table = pd.concat([cells, extra], ignore_index=True).sample(frac=1, random_state=seed + 1)
    table = table.reset_index(drop=True)
    table.insert(0, "subject", [f"sub-{i:03d}" for i in rng.integers(1, 6, len(table))])
    table["age"] = rng.integers(18, 65, len(table)) + rng.choice([0, 0.25, 0.5, 0.75], len(table))
    table["score"] = rng.normal(20, 7, len(table)).round(6)
    table["y"] = rng.normal(0, 1, len(table))
    return table


CASES = [  # (id, formula, quantitative variable -> centre: 0 as given, None the mean)
    ("two factors", "group*treatment", {}),
    ("three factors, one of 3 levels", "group*treatment*order", {}),
    ("left-hand side, 3 sessions", "y ~ group*session", {}),
    ("sub-NNN levels (5)", "subject + treatment", {}),
    ("factor by quantitative, as given", "group*treatment + age", {"age": 0}),
    ("factor by quantitative, mean-centred", "group*treatment + age", {"age": None}),
    ("factor by quantitative, centred at 40", "group*treatment + age", {"age": 40.0}),
    ("quantitative first in an interaction", "score*group + order", {"score": None}),
    ("terms reordered by degree", "group:treatment + order + group + treatment", {}),
    ("later variable first in a term", "treatment:group + group + treatment", {}),
]


def compare(tmp_path, table, formula, quantitative):
    factors = [v for v in ("group", "treatment", "order", "session", "subject")
               if v in formula.split("~")[-1].replace("*", " ").replace(":", " ").replace("+", " ").split()]
    ours = build_design(table, formula, quantitative=tuple(quantitative),
                        centers={v: c for v, c in quantitative.items() if c != 0})
    columns, terms, assign, X, levels = r_model_matrix(tmp_path, table, formula, factors, quantitative)
    return ours, columns, terms, assign, X, levels, factors


@pytest.mark.parametrize("name, formula, quantitative", CASES, ids=[c[0] for c in CASES])
def test_design_equals_r_model_matrix_under_contr_sum(tmp_path, name, formula, quantitative):
    table = study_table(seed=len(name))
    ours, columns, terms, assign, X, levels, factors = compare(tmp_path, table, formula, quantitative)
    assert ours.terms == ["(Intercept)"] + terms
    assert ours.columns == columns
    assert ours.assign.tolist() == assign
    assert {v: ours.levels[v] for v in factors} == levels
    assert X.shape == ours.X.shape == (len(table), len(columns))
    if quantitative:  # R's mean() and numpy's may differ in the last bit
        np.testing.assert_allclose(ours.X, X, rtol=0, atol=1e-12)
    else:  # 0, +1, -1 and their products: exact
        np.testing.assert_array_equal(ours.X, X)


@pytest.mark.parametrize("formula, term, missing", [
    ("group:treatment", "group:treatment", "treatment"),
    ("order + group:treatment", "group:treatment", "treatment"),
    ("group + group:age", "group:age", "age"),
])
def test_a_formula_r_codes_by_indicators_is_refused(tmp_path, formula, term, missing):
    """R codes a factor of a term by indicator columns (``groupketamine:treatmentdrug`` ...) when the
    term without it is not in the model; build_design codes by contr.sum only, so such a formula is
    an error naming the term and what to add. R's matrix for it is indeed not ours (its columns are
    named by level)."""
    table = study_table(seed=3)
    with pytest.raises(ValueError, match=f"the term {term} comes without {missing}.*add {missing}"):
        build_design(table, formula, quantitative=["age"])
    factors = [v for v in ("group", "treatment", "order") if v in formula]
    columns, *_ = r_model_matrix(tmp_path, table, formula, factors, {"age": 0} if "age" in formula else {})
    assert any(name.startswith("group") and not name.startswith("group1") for name in columns), columns


def test_mixed_case_levels_follow_r_only_under_the_c_collation(tmp_path):
    """``sorted`` is byte order: ``Placebo`` < ``ketamine``. R sorts by its collation: the same
    under ``LC_COLLATE=C``, letters before case elsewhere (ICU or glibc in C.UTF-8/en_US give
    ``ketamine`` < ``Placebo``), so the codes of such a factor depend on R's locale."""
    table = study_table(seed=5)
    table["group"] = table["group"].map({"placebo": "Placebo", "ketamine": "ketamine"})
    ours = build_design(table, "group*treatment")
    assert ours.levels["group"] == ["Placebo", "ketamine"]
    data = tmp_path / "data.tsv"
    table.to_csv(data, sep="\t", index=False)
    code = f'cat(levels(factor(read.delim("{data}", colClasses = "character")$group)), sep = "\\n")'
    env_c = {"LC_ALL": "C", "PATH": os.environ["PATH"]}
    in_c = subprocess.run(["Rscript", "-e", code], env=env_c, check=True, capture_output=True, text=True)
    assert in_c.stdout.split() == ours.levels["group"]
    env_utf8 = {"LC_ALL": "C.UTF-8", "PATH": os.environ["PATH"]}
    in_utf8 = subprocess.run(["Rscript", "-e", code], env=env_utf8, check=True, capture_output=True, text=True)
    if in_utf8.stdout.split() == ours.levels["group"]:
        pytest.skip("this R sorts byte-wise in C.UTF-8 too (no ICU): no divergence to show here")
    assert in_utf8.stdout.split() == ["ketamine", "Placebo"]
