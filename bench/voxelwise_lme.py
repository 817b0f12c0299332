"""Voxelwise linear mixed model at the study's size: trialmri's ``fit_voxels`` against statsmodels'
``MixedLM`` and R's ``nlme::lme`` (what AFNI's 3dLME runs, one voxel at a time).

Design: the study's unbalanced crossover from ``make_design`` of tests/fixtures/lme/make_fixture.py
(seed 7, the fixture's own design): 46 subjects (27 TRD, 19 HV), all scanned after ketamine, 3
without placebo -> 89 rows; order KP/PK. Model ``y ~ group*treatment + order``, random intercept
per subject, REML, sum-to-zero coding. Data: ``--voxels`` float32 columns (default 230,000, a 2 mm
brain), y = X beta + b_subject + e with sigma ~ U[0.1, 0.5], tau/sigma exactly 0 for 20 % of the
voxels and U[0, 2] for the rest, intercept ~ U[-0.2, 0.5], other coefficients 0 (probability 0.5)
or N(0, 0.15^2).

Measured:

- trialmri: ``fit_voxels(Y, design, subject, residuals=True)`` on every voxel, as the workflow
  runs it: CPU seconds (``time.process_time``, all threads) and wall seconds. Memory: the input
  array's size, the process's peak RSS (``ru_maxrss``) before and after the fit, and tracemalloc's
  peak during a second, traced run of the same fit (numpy's allocations are traced; the returned
  arrays count, the input does not). Goal: < 5 s CPU for 230,000 voxels.
- peer 1, statsmodels: ``MixedLM.from_formula("y ~ C(group, Sum)*C(treatment, Sum) +
  C(order, Sum)", groups="subject").fit(reml=True)`` one voxel at a time on ``--peer-voxels``
  voxels: CPU s per voxel (formula + fit), fits that warned (ConvergenceWarning, boundary), and the
  group:treatment Wald F (t^2 of its one coefficient) against ours (max relative difference).
- peer 2, R's nlme through tests/fixtures/lme/nlme_fit.R (default ``lmeControl()``, as 3dLME runs
  it) on ``--r-voxels`` voxels, if Rscript is on PATH: the script's own CPU s per voxel (fit +
  marginal anova loop) and its group:treatment F against ours. Goal: ours >= 1000x faster per voxel.

Per-voxel peers are projected to the whole brain (per-voxel CPU x voxels).

    .venv/bin/python bench/voxelwise_lme.py [--voxels 230000] [--peer-voxels 40] [--r-voxels 200]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from trialmri.stats.formula import build_design
from trialmri.lme.reml import fit_voxels

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "lme"
FORMULA = "y ~ group*treatment + order"
SM_FORMULA = "y ~ C(group, Sum)*C(treatment, Sum) + C(order, Sum)"
TERM = "group:treatment"
GOAL_RATIO, GOAL_CPU_S = 1000.0, 5.0


def study_design() -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURE / "make_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return pd.DataFrame(module.make_design(np.random.default_rng(module.SEED)))


def simulate(X: np.ndarray, subject_idx: np.ndarray, n_vox: int, seed: int = 0,
             chunk: int = 16384) -> np.ndarray:
    """(rows, n_vox) float32, made a chunk of voxels at a time (no full float64 copy)."""
    rng = np.random.default_rng(seed)
    n_rows, p = X.shape
    n_subj = subject_idx.max() + 1
    Y = np.empty((n_rows, n_vox), np.float32)
    zero = rng.random(n_vox) < 0.2  # tau = 0 exactly
    for s in range(0, n_vox, chunk):
        v = min(chunk, n_vox - s)
        sigma = rng.uniform(0.1, 0.5, v)
        ratio = np.where(zero[s:s + v], 0.0, rng.uniform(0.0, 2.0, v))
        beta = np.empty((p, v))
        beta[0] = rng.uniform(-0.2, 0.5, v)
        beta[1:] = np.where(rng.random((p - 1, v)) >= 0.5, rng.normal(0.0, 0.15, (p - 1, v)), 0.0)
        b = rng.standard_normal((n_subj, v)) * (ratio * sigma)
        e = rng.standard_normal((n_rows, v)) * sigma
        Y[:, s:s + v] = X @ beta + b[subject_idx] + e
    return Y


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS threads unknown (no threadpoolctl)"
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{Path(i['filepath']).parent.name.removesuffix('.libs')}'s {i['internal_api']} "
                     f"{i['num_threads']} threads" for i in info) or "no BLAS found"


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rel_diff(peer: np.ndarray, ours: np.ndarray) -> np.ndarray:
    return np.abs(peer - ours) / np.abs(ours)


def agreement(peer: np.ndarray, ours: np.ndarray, ratio: np.ndarray) -> str:
    r = rel_diff(peer, ours)
    ok = np.isfinite(r)
    interior = ok & (ratio > 1e-3)
    k = np.nanargmax(np.where(ok, r, np.nan))
    text = f"max {r[k]:.1e} (our F {ours[k]:.3g}, tau^2/sigma^2 {ratio[k]:.2g}), median {np.median(r[ok]):.1e}"
    if interior.any():
        text += f"; max {np.max(r[interior]):.1e} over the {int(interior.sum())} with tau^2/sigma^2 > 1e-3"
    if (~ok).any():
        text += f"; {int((~ok).sum())} not comparable (NaN)"
    return text


def statsmodels_peer(table: pd.DataFrame, Y: np.ndarray, voxels: np.ndarray):
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    def one(v):
        data = table.assign(y=Y[:, v].astype(np.float64))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.process_time()
            res = MixedLM.from_formula(SM_FORMULA, groups="subject", data=data).fit(reml=True)
            cpu = time.process_time() - t0
        name = next(n for n in res.fe_params.index if ":" in n)
        conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        boundary = any("boundary" in str(w.message) for w in conv)
        return float(res.tvalues[name]) ** 2, cpu, bool(conv), boundary

    one(int(voxels[0]))  # warm-up: imports, formula machinery
    F, cpu, warned, boundary = map(np.array, zip(*(one(int(v)) for v in voxels)))
    return F, cpu.sum() / len(voxels), int(warned.sum()), int(boundary.sum())


def nlme_peer(rscript: str, table: pd.DataFrame, Y: np.ndarray, voxels: np.ndarray):
    names = [f"v{v}" for v in voxels]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table[["row", "subject", "group", "treatment", "order"]].to_csv(tmp / "design.tsv", sep="\t",
                                                                         index=False)
        # %.9g: float32 values round-trip, so R fits exactly the numbers we fit
        pd.DataFrame(Y[:, voxels].astype(np.float64), columns=names).to_csv(
            tmp / "data.tsv", sep="\t", index=False, float_format="%.9g")
        t0 = time.perf_counter()
        proc = subprocess.run([rscript, str(FIXTURE / "nlme_fit.R"), str(tmp / "design.tsv"),
                               str(tmp / "data.tsv"), str(tmp / "out.tsv")],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"nlme_fit.R failed ({proc.returncode}): {proc.stderr.strip()}")
        lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
        cpu = float(lines["nlme_cpu_seconds_per_voxel"])
        out = pd.read_csv(tmp / "out.tsv", sep="\t", dtype={"value": str}, keep_default_na=False)
    sel = out[(out.quantity == "F") & (out.name == TERM)].set_index("voxel")["value"]
    F = pd.to_numeric(sel.reindex(names), errors="coerce").to_numpy(float)
    failed = int(lines.get("failed_voxels", "0"))
    return F, cpu, wall, failed, lines.get("R", "").strip()


def duration(s: float) -> str:
    if s < 120:
        return f"{s:.2f} s" if s < 10 else f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxels", type=int, default=230000)
    parser.add_argument("--peer-voxels", type=int, default=40, help="voxels fitted with statsmodels")
    parser.add_argument("--r-voxels", type=int, default=200, help="voxels fitted with R's nlme")
    args = parser.parse_args()

    table = study_design()
    design = build_design(table, FORMULA)
    subject = table["subject"].to_numpy()
    subject_idx = np.unique(subject, return_inverse=True)[1]
    t = time.perf_counter()
    Y = simulate(design.X, subject_idx, args.voxels)
    n_rows, n_vox = Y.shape
    print(f"design: {n_rows} rows, {len(np.unique(subject))} subjects "
          f"({table.groupby('group').subject.nunique().to_dict()}), "
          f"{int((table.groupby('subject').size() == 1).sum())} with one row; {design.X.shape[1]} "
          f"fixed-effect columns; {n_vox} voxels float32 ({time.perf_counter() - t:.1f} s to simulate)")

    fit_voxels(Y[:, :2000], design, subject)  # warm-up: imports, caches
    rss_before = max_rss_mb()
    c0, w0 = time.process_time(), time.perf_counter()
    fit = fit_voxels(Y, design, subject, residuals=True)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    rss_after = max_rss_mb()
    term = design.terms.index(TERM)
    F_ours, ratio = fit.F[term], fit.ratio
    n_fitted = int(np.sum(fit.reason == 0))
    n_boundary = int(np.sum(fit.boundary))
    del fit
    tracemalloc.start()
    fit_voxels(Y, design, subject, residuals=True)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    ours_per_voxel = cpu / n_vox

    rng = np.random.default_rng(1)
    order = rng.permutation(n_vox)
    sm_vox = np.sort(order[:args.peer_voxels])
    F_sm, sm_cpu, sm_warned, sm_boundary = statsmodels_peer(table, Y, sm_vox)

    rows = [("trialmri fit_voxels", ours_per_voxel, f"{duration(cpu)} (measured)", "1")]
    rows.append((f"statsmodels MixedLM ({len(sm_vox)} vox)", sm_cpu, duration(sm_cpu * n_vox) + " (projected)",
                 f"{sm_cpu / ours_per_voxel:,.0f}x"))
    rscript = shutil.which("Rscript")
    nlme = None
    if rscript:
        r_vox = np.sort(order[:args.r_voxels])
        nlme = nlme_peer(rscript, table, Y, r_vox)
        rows.append((f"R nlme::lme ({len(r_vox)} vox)", nlme[1], duration(nlme[1] * n_vox) + " (projected)",
                     f"{nlme[1] / ours_per_voxel:,.0f}x"))

    print()
    print(f"{'engine':<34} {'CPU s/voxel':>12} {'peer/ours':>10}   whole brain CPU ({n_vox} voxels)")
    for name, per, whole, r in rows:
        print(f"{name:<34} {per:>12.3g} {r:>10}   {whole}")
    print()
    print(f"trialmri, all {n_vox} voxels (residuals=True): {cpu:.2f} s CPU, {wall:.2f} s wall; "
          f"{n_fitted} fitted, {n_boundary} at tau^2 = 0; {blas_threads()}")
    print(f"memory: input {Y.nbytes / 2**20:.0f} MB (float32, {n_rows} x {n_vox}); peak RSS "
          f"{rss_before:.0f} MB before the fit, {rss_after:.0f} MB after (+{rss_after - rss_before:.0f}); "
          f"fit's own peak (tracemalloc, outputs incl. {n_rows * n_vox * 4 / 2**20:.0f} MB residuals) "
          f"{traced_peak:.0f} MB")
    print(f"statsmodels {TERM} F (t^2) vs ours, {len(sm_vox)} voxels: "
          f"{agreement(F_sm, F_ours[sm_vox], ratio[sm_vox])}; {sm_warned} of {len(sm_vox)} fits warned "
          f"(ConvergenceWarning), {sm_boundary} of them about the boundary")
    if nlme is None:
        print("nlme comparison skipped: Rscript is not on PATH (install R with the nlme package to run "
              "tests/fixtures/lme/nlme_fit.R)")
    else:
        F_r, r_cpu, r_wall, failed, version = nlme
        print(f"nlme {TERM} F vs ours, {len(r_vox)} voxels: {agreement(F_r, F_ours[r_vox], ratio[r_vox])}; "
              f"{failed} failed fits; Rscript wall {r_wall:.1f} s (R {version})")
    print()
    if nlme is not None:
        speed = nlme[1] / ours_per_voxel
        print(f"goal: >= {GOAL_RATIO:.0f}x faster than nlme per voxel: {speed:,.0f}x -> "
              f"{'met' if speed >= GOAL_RATIO else 'NOT met'}")
    else:
        print(f"goal: >= {GOAL_RATIO:.0f}x faster than nlme per voxel: not checked (no Rscript)")
    scaled = cpu * 230000 / n_vox
    print(f"goal: 230,000 voxels < {GOAL_CPU_S:.0f} s CPU: {scaled:.2f} s"
          f"{'' if n_vox == 230000 else ' (scaled from ' + str(n_vox) + ' voxels)'} -> "
          f"{'met' if scaled < GOAL_CPU_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
