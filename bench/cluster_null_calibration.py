"""Family-wise error rate of the whole cluster chain under the null: voxelwise LME -> ACF of its
residuals (``estimate_smoothness``) -> cluster-size simulation (``simulate``, ``threshold_table``)
-> clusters of the group:treatment p map (``find_clusters`` with ``min_cluster_voxels``).

Each of ``--analyses`` (default 200) null group analyses draws data for the study's unbalanced
crossover (``make_design`` of tests/fixtures/lme/make_fixture.py, seed 7: 46 subjects, 27 TRD +
19 HV, 89 rows) on a small grid: ``--shape`` 40 x 48 x 40 voxels of ``--voxel-mm`` 4 mm with an
ellipsoid brain-like mask (semi-axes ``--semi-axes`` 17 21 16 voxels, about 24,000 voxels). Per
row, y = b[subject] + e[row], no fixed effect at all; b (one field per subject, scaled by
``--tau``) and e (one field per row) are smooth Gaussian fields made independently of
trialmri's noise generator: white noise filtered with ``scipy.ndimage.gaussian_filter`` at two
widths, ``sqrt(0.7) G(FWHM 6 mm) + sqrt(0.3) G(FWHM 14 mm)`` (independent white noise for each
part, each part scaled to unit variance by its kernel's energy), so the ACF is a mixture of two
Gaussians, not AFNI's model; the white noise covers the box padded by the kernel's reach, and the
filtered fields are cropped to the box, so they are stationary inside it.

Per analysis: ``fit_voxels(Y, build_design(table, "group*treatment+order"), subject,
residuals=True)`` on the mask voxels; ``estimate_smoothness`` of the 89 residual volumes inside the
mask; ``simulate(mask, voxel_mm, acf, pthr=(--pthr,), --iter, seed)`` (default 1,000 iterations);
the group:treatment p map (F(1, df), two-sided in t) thresholded at ``--pthr`` 0.005 and its
clusters kept when at least ``min_cluster_voxels(table, nn, "2-sided", pthr, alpha)``. An analysis
with any surviving cluster is a family-wise error. Also tallied, from the same analyses: alpha
0.01, NN2 and NN3, and bisided (sign of the group:treatment coefficient).

Printed: a progress line every 20 analyses; the error rate for NN1, 2-sided, alpha 0.05, its
exact (Clopper-Pearson) binomial 95 % CI, and whether it lies within 5 % +- 3 % (the goal); the
other rates; the mean ACF estimate against the generating noise's ACF; seconds per analysis and
per step. Everything is seeded from ``--seed`` (one ``SeedSequence`` child per analysis), so a run
is reproducible.

    .venv/bin/python bench/cluster_null_calibration.py [--analyses 200] [--iter 1000] [--seed 0]
        [--shape 40 48 40] [--voxel-mm 4] [--semi-axes 17 21 16] [--tau 1.0] [--threads 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage, stats

from trialmri.clusters.acf import acf_model, estimate_smoothness
from trialmri.clusters.clustsim import min_cluster_voxels, simulate, threshold_table
from trialmri.clusters.cluster_table import find_clusters
from trialmri.stats.formula import build_design
from trialmri.lme.reml import fit_voxels

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "lme"
FORMULA = "group*treatment+order"
TERM = "group:treatment"
FWHM_MM = (6.0, 14.0)
WEIGHTS = (0.7, 0.3)
ALPHAS = (0.05, 0.01)
NNS = (1, 2, 3)
SIDES = ("2-sided", "bisided")
MAIN = (1, "2-sided", 0.05)
GOAL, GOAL_TOL = 0.05, 0.03
SIGMA_PER_FWHM = 1.0 / np.sqrt(8.0 * np.log(2.0))
TRUNCATE = 4.0


def study_design() -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURE / "make_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return pd.DataFrame(module.make_design(np.random.default_rng(module.SEED)))


def ellipsoid_mask(shape, semi_axes) -> np.ndarray:
    centre = (np.asarray(shape) - 1) / 2.0
    grid = np.meshgrid(*[(np.arange(n) - c) / a for n, c, a in zip(shape, centre, semi_axes)],
                       indexing="ij", sparse=True)
    return sum(g**2 for g in grid) <= 1.0


class SmoothNoise:
    """Stationary fields on ``shape``: sum over widths of sqrt(w) x (white noise * Gaussian kernel),
    each part of unit variance; made on the box padded by the widest kernel's reach, then cropped."""

    def __init__(self, shape, voxel_mm: float, fwhm_mm=FWHM_MM, weights=WEIGHTS):
        self.shape = tuple(shape)
        self.sigmas = [f * SIGMA_PER_FWHM / voxel_mm for f in fwhm_mm]  # voxels
        self.weights = np.asarray(weights, float) / np.sum(weights)
        self.pad = int(np.ceil(TRUNCATE * max(self.sigmas))) + 1
        self.padded = tuple(n + 2 * self.pad for n in self.shape)
        self.crop = (slice(None),) + tuple(slice(self.pad, self.pad + n) for n in self.shape)
        self.kernels = [self._kernel_1d(s) for s in self.sigmas]
        # variance of filtered unit white noise = (sum of squared 1-D kernel)^3 (separable)
        self.scales = [np.sqrt(w) / np.sqrt((k**2).sum() ** 3) for w, k in zip(self.weights, self.kernels)]

    @staticmethod
    def _kernel_1d(sigma: float) -> np.ndarray:
        radius = int(TRUNCATE * sigma + 0.5)  # as scipy.ndimage.gaussian_filter1d
        impulse = np.zeros(2 * radius + 1)
        impulse[radius] = 1.0
        return ndimage.gaussian_filter1d(impulse, sigma, truncate=TRUNCATE, mode="constant")

    def axis_acf(self, max_lag: int) -> np.ndarray:
        """Exact correlation of the fields at 0..max_lag voxels along one axis."""
        out = np.zeros(max_lag + 1)
        for w, k in zip(self.weights, self.kernels):
            energy = (k**2).sum()
            for d in range(max_lag + 1):
                out[d] += w * ((k[:-d or None] * k[d:]).sum() / energy if d < k.size else 0.0)
        return out

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, *shape) float32."""
        total = np.zeros((n, *self.shape), np.float32)
        for sigma, scale in zip(self.sigmas, self.scales):
            white = rng.standard_normal((n, *self.padded), dtype=np.float32)
            smooth = ndimage.gaussian_filter(white, (0, sigma, sigma, sigma), truncate=TRUNCATE)
            total += scale * smooth[self.crop]
        return total


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=int, default=200, help="null group analyses (default 200)")
    parser.add_argument("--iter", type=int, default=1000, help="clustsim iterations per analysis (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", type=int, nargs=3, default=[40, 48, 40], help="grid (voxels)")
    parser.add_argument("--voxel-mm", type=float, default=4.0)
    parser.add_argument("--semi-axes", type=float, nargs=3, default=[17.0, 21.0, 16.0],
                        help="ellipsoid mask semi-axes (voxels)")
    parser.add_argument("--tau", type=float, default=1.0, help="SD of the subject fields (row fields: 1)")
    parser.add_argument("--pthr", type=float, default=0.005, help="voxelwise p threshold (default 0.005)")
    parser.add_argument("--threads", type=int, default=1, help="FFT workers of simulate (default 1)")
    args = parser.parse_args()

    table = study_design()
    design = build_design(table, FORMULA)
    subject = table["subject"].to_numpy()
    subject_idx = np.unique(subject, return_inverse=True)[1]
    n_rows, n_subj = len(table), int(subject_idx.max()) + 1
    term = design.terms.index(TERM)
    coef = int(np.flatnonzero(design.assign == term)[0])
    voxel = (args.voxel_mm,) * 3
    mask = ellipsoid_mask(args.shape, args.semi_axes)
    n_vox = int(mask.sum())
    noise = SmoothNoise(args.shape, args.voxel_mm)
    print(f"design: {n_rows} rows, {n_subj} subjects ({table.groupby('group').subject.nunique().to_dict()}), "
          f"model {FORMULA}, term {TERM}; no true effect, subject field SD {args.tau}, row field SD 1")
    print(f"grid: {'x'.join(map(str, args.shape))} x {args.voxel_mm:g} mm, ellipsoid mask {n_vox:,} voxels; "
          f"noise: {' + '.join(f'sqrt({w:g}) G(FWHM {f:g} mm)' for w, f in zip(noise.weights, FWHM_MM))}, "
          f"white noise padded by {noise.pad} voxels")
    print(f"{args.analyses} analyses x clustsim {args.iter} iterations; pthr {args.pthr}; seed {args.seed}")
    print()

    keys = [(nn, side, a) for nn in NNS for side in SIDES for a in ALPHAS]
    hits = {k: 0 for k in keys}
    sizes = {k: [] for k in keys}
    acfs, acf_fwhm, classic, supra = [], [], [], []
    steps = dict(noise=0.0, fit=0.0, acf=0.0, clustsim=0.0, clusters=0.0)
    children = np.random.SeedSequence(args.seed).spawn(args.analyses)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for i, child in enumerate(children, 1):
        noise_ss, sim_ss = child.spawn(2)
        rng = np.random.default_rng(noise_ss)
        sim_seed = int(sim_ss.generate_state(1, np.uint64)[0])

        t = time.perf_counter()
        subj_fields = noise.draw(rng, n_subj)[:, mask]
        row_fields = noise.draw(rng, n_rows)[:, mask]
        Y = args.tau * subj_fields[subject_idx] + row_fields
        del subj_fields, row_fields
        steps["noise"] += time.perf_counter() - t

        t = time.perf_counter()
        fit = fit_voxels(Y, design, subject, residuals=True)
        steps["fit"] += time.perf_counter() - t

        t = time.perf_counter()
        resid = np.zeros((*args.shape, n_rows), np.float32)
        resid[mask] = fit.resid.T
        smooth = estimate_smoothness(resid, mask, voxel)
        del resid
        steps["acf"] += time.perf_counter() - t
        acfs.append(smooth.acf)
        acf_fwhm.append(smooth.acf_fwhm_mm)
        classic.append(smooth.fwhm_xyz_mm)

        t = time.perf_counter()
        sim = simulate(mask, voxel, smooth.acf, (args.pthr,), args.iter, sim_seed, workers=args.threads)
        thresholds = threshold_table(sim, ALPHAS)
        steps["clustsim"] += time.perf_counter() - t

        t = time.perf_counter()
        p = np.ones(args.shape)
        p[mask] = np.where(np.isfinite(fit.p[term]), fit.p[term], 1.0)
        sign = np.zeros(args.shape)
        sign[mask] = fit.t[coef]
        supra.append(int((p[mask] < args.pthr).sum()))
        for nn, side, a in keys:
            need = min_cluster_voxels(thresholds, nn, side, args.pthr, a)
            labels = find_clusters(p, mask, args.pthr, nn, need, sign if side == "bisided" else None)
            hits[(nn, side, a)] += int(labels.max() > 0)
            sizes[(nn, side, a)].append(need)
        steps["clusters"] += time.perf_counter() - t

        if i % 20 == 0 or i == args.analyses:
            elapsed = time.perf_counter() - start_wall
            k = hits[MAIN]
            a, b, c = smooth.acf
            print(f"analysis {i:>4}/{args.analyses}: FWE (NN1 2-sided a 0.05) {k}/{i} = {k / i:.3f}; this one: "
                  f"ACF {a:.3f} {b:.2f} {c:.2f} (FWHM {smooth.acf_fwhm_mm:.2f} mm), min cluster "
                  f"{sizes[MAIN][-1]} voxels, {supra[-1]} voxels p<{args.pthr}; {elapsed:.0f} s, "
                  f"{elapsed / i:.2f} s/analysis", flush=True)

    n = args.analyses
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    k = hits[MAIN]
    lo, hi = clopper_pearson(k, n)
    print()
    print(f"family-wise error rate, NN1 2-sided, p < {args.pthr}, alpha 0.05: {k}/{n} = {k / n:.3f} "
          f"(95 % CI {lo:.3f}-{hi:.3f}, Clopper-Pearson)")
    within = abs(k / n - GOAL) <= GOAL_TOL
    print(f"goal: within {GOAL:.0%} +- {GOAL_TOL:.0%} ({GOAL - GOAL_TOL:.0%}-{GOAL + GOAL_TOL:.0%}): "
          f"{'met' if within else 'NOT met'}; nominal {GOAL:.0%} {'inside' if lo <= GOAL <= hi else 'outside'} the CI")
    print()
    print("all rates (any surviving cluster; min cluster = median [range] of ceil(C) over analyses):")
    print(f"  {'NN':<4} {'side':<8} {'alpha':>6} {'FWE':>12} {'95 % CI':>13} {'min cluster':>18}")
    for key in keys:
        nn, side, a = key
        lo_k, hi_k = clopper_pearson(hits[key], n)
        s = np.asarray(sizes[key])
        print(f"  NN{nn:<2} {side:<8} {a:>6g} {hits[key]:>4}/{n} {hits[key] / n:.3f} {lo_k:>6.3f}-{hi_k:<6.3f} "
              f"{np.median(s):>7.0f} [{s.min()}-{s.max()}]")
    print()
    acfs = np.asarray(acfs)
    est = acfs.mean(0)
    lags = np.array([1, 2, 3, 4, 6, 8])
    true_curve = noise.axis_acf(int(lags.max()))[lags]
    est_curves = np.array([acf_model(lags * args.voxel_mm, *row) for row in acfs])
    print(f"ACF estimate over analyses: a {est[0]:.3f} (SD {acfs[:, 0].std():.3f}), b {est[1]:.2f} mm "
          f"(SD {acfs[:, 1].std():.2f}), c {est[2]:.2f} mm (SD {acfs[:, 2].std():.2f}); ACF FWHM "
          f"{np.mean(acf_fwhm):.2f} mm (SD {np.std(acf_fwhm):.2f}); classic FWHM x y z "
          + " ".join(f"{v:.2f}" for v in np.mean(classic, 0)) + " mm")
    print("  correlation along an axis at r mm: generating noise (exact, discrete kernels) vs the fitted "
          "model (mean over analyses)")
    print("  r (mm)    " + " ".join(f"{r * args.voxel_mm:>7g}" for r in lags))
    print("  noise     " + " ".join(f"{v:>7.3f}" for v in true_curve))
    print("  fitted    " + " ".join(f"{v:>7.3f}" for v in est_curves.mean(0)))
    print(f"voxels with p < {args.pthr} per analysis: mean {np.mean(supra):.1f} (expected {args.pthr * n_vox:.1f})")
    print()
    print(f"time: {wall:.0f} s wall, {cpu:.0f} s CPU for {n} analyses = {wall / n:.2f} s wall per analysis; per step "
          + ", ".join(f"{name} {sec / n:.2f} s" for name, sec in steps.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
