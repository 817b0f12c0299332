"""Seed connectivity of one subject-session at 2 mm, 200 volumes, 5 seeds: trialmri's denoising +
seed maps against the peers in the same process.

The session comes from the synthetic generator (`trialmri synth`'s BOLD model) on the 2 mm MNI grid
(about 230,000 brain voxels), written in fMRIPrep layout to a temporary folder. Timed, in memory
(the image already loaded, as inside the workflow's job; reading the .nii.gz is timed apart):

- trialmri: ``load_session_confounds`` + ``denoise_session`` (nilearn's signal.clean with a
  vectorized Butterworth filter) + ``netcorr`` (one matrix product, Fisher z). Goal: <= 2 s.
- peer 1, nilearn's documented seed-to-voxel recipe: ``NiftiSpheresMasker`` (seed series) +
  ``NiftiMasker`` (brain series), both with the same confounds, sample mask and band-pass, then
  ``np.dot`` (nilearn's plot_seed_to_voxel_correlation example). Its ``signal.clean`` filters one
  voxel at a time; on a voxel subset, extrapolated per voxel unless ``--full-peer``.
- peer 2, the per-voxel reference: ``scipy.stats.pearsonr`` of the seed series with each voxel, on
  a voxel subset, extrapolated per voxel.

Both peers' maps are compared with ours on the subset (max |r| difference).

    .venv/bin/python bench/seed_connectivity.py [--full-peer] [--volumes 200] [--smoothing-fwhm 6]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import stats

from trialmri.fc.confounds import load_session_confounds
from trialmri.fc.denoise import denoise_session
from trialmri.fc.netcorr import netcorr
from trialmri.fc.seeds import roi_label_map
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.grids import Grid
from trialmri.synth import bold
from trialmri.synth.design import CONTROL_ROI, SEEDS, TARGETS
from trialmri.synth.trial import write_fmriprep_session
from trialmri.templates import mni_grid, mni_on_grid

TR = 2.5


def make_session(folder: Path, n_t: int) -> tuple[Path, Grid, np.ndarray]:
    grid = mni_grid(2.0)
    tissue = mni_on_grid(grid)
    data, confounds = bold.simulate_session(tissue, grid, n_t, TR, dict.fromkeys(SEEDS, 0.5), SEEDS, TARGETS,
                                            np.random.default_rng(0))
    mask = tissue["brain"] > 0.5
    return write_fmriprep_session(folder, "01", "a", data, confounds, mask, grid.affine, TR), grid, mask


def ours(img, mask, path, strategy, labels, table):
    t0 = time.perf_counter()
    session = load_session_confounds(path, strategy)
    t1 = time.perf_counter()
    cleaned = denoise_session(img, mask, session, strategy, TR)
    t2 = time.perf_counter()
    result = netcorr(cleaned, labels[mask], list(table["index"]), list(table["name"]))
    t3 = time.perf_counter()
    return result, session, {"confounds": t1 - t0, "denoise": t2 - t1, "maps": t3 - t2, "total": t3 - t0}


def nilearn_recipe(img, mask_img, session, strategy, subset_idx, radius):
    from nilearn.maskers import NiftiMasker, NiftiSpheresMasker

    kwargs = {"detrend": True, "low_pass": strategy.band_pass_hz[1], "high_pass": strategy.band_pass_hz[0],
              "t_r": TR, "standardize": False, "smoothing_fwhm": strategy.smoothing_fwhm_mm}
    centres = [c for name in SEEDS for c in SEEDS[name]][:2]  # the VS seed: its left and right spheres
    conf = session.confounds.to_numpy()
    t0 = time.perf_counter()
    spheres = NiftiSpheresMasker(centres, radius=radius, **kwargs).fit_transform(
        img, confounds=conf, sample_mask=session.sample_mask)
    seed = spheres.mean(axis=1)  # nilearn averages within each sphere; both spheres weigh equally
    brain = NiftiMasker(mask_img, **kwargs).fit_transform(img, confounds=conf, sample_mask=session.sample_mask)
    t_all = time.perf_counter() - t0
    sub = brain[:, subset_idx]
    r = ((seed - seed.mean()) / seed.std()) @ ((sub - sub.mean(0)) / sub.std(0)) / len(seed)
    return r, t_all, brain.shape[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=200)
    parser.add_argument("--subset", type=int, default=20000, help="voxels for the per-voxel peers")
    parser.add_argument("--full-peer", action="store_true", help="run nilearn's recipe on every voxel")
    parser.add_argument("--smoothing-fwhm", type=float, help="also smooth (mm FWHM) before denoising")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        path, grid, mask = make_session(Path(tmp), args.volumes)
        print(f"synthetic session: {grid.shape} x {args.volumes} volumes, {int(mask.sum())} brain voxels "
              f"({time.perf_counter() - t:.0f} s to make)")
        t = time.perf_counter()
        img = nib.load(path)
        img = nib.Nifti1Image(np.asarray(img.dataobj), img.affine, img.header)
        print(f"reading the .nii.gz: {time.perf_counter() - t:.2f} s (not in the timings below)")
        strategy = DenoiseStrategy(smoothing_fwhm_mm=args.smoothing_fwhm)
        labels, table = roi_label_map({**SEEDS, **CONTROL_ROI}, 3.5, grid)
        ours(img, mask, path, strategy, labels, table)  # warm-up: imports, caches
        result, session, times = ours(img, mask, path, strategy, labels, table)
        print(f"trialmri: {times['total']:.2f} s for {len(table)} seeds (confounds {times['confounds']:.2f}, "
              f"denoise {times['denoise']:.2f}, maps {times['maps']:.2f}); goal <= 2 s: "
              f"{'met' if times['total'] <= 2 else 'NOT met'}; {session.n_kept} of {args.volumes} volumes kept")
        n_v = int(mask.sum())
        rng = np.random.default_rng(1)
        subset = np.sort(rng.choice(n_v, min(args.subset, n_v), replace=False))
        mask_img = nib.Nifti1Image(mask.astype(np.uint8), grid.affine)
        if args.full_peer:
            r_peer, t_peer, _ = nilearn_recipe(img, mask_img, session, strategy, subset, 3.5)
            per_voxel_peer = t_peer / n_v
        else:
            sub_mask = np.zeros(n_v, bool)
            sub_mask[subset] = True
            small = np.zeros(grid.shape, bool)
            small[mask] = sub_mask
            small |= labels > 0  # the seed spheres stay in, so the peer's seed series is the same
            columns = np.searchsorted(np.flatnonzero(small), np.flatnonzero(mask)[subset])
            r_peer, t_peer, n_peer = nilearn_recipe(img, nib.Nifti1Image(small.astype(np.uint8), grid.affine),
                                                    session, strategy, columns, 3.5)
            per_voxel_peer = t_peer / n_peer
        ours_per_voxel = times["total"] / n_v
        print(f"nilearn recipe (NiftiSpheresMasker + NiftiMasker + dot): {per_voxel_peer * n_v:.1f} s for the whole "
              f"brain ({'measured' if args.full_peer else 'extrapolated from ' + str(len(subset)) + ' voxels'}); "
              f"ratio {per_voxel_peer / ours_per_voxel:.0f}x; max |r| difference from ours "
              f"{np.max(np.abs(r_peer - result.r[0][subset])):.1e} (VS seed)")
        cleaned = denoise_session(img, mask, session, strategy, TR)
        seed_series = result.series[:, 0]
        k = min(2000, len(subset))
        t = time.perf_counter()
        ref = np.array([stats.pearsonr(seed_series, cleaned[:, v])[0] for v in subset[:k]])
        t_ref = (time.perf_counter() - t) / k
        print(f"per-voxel scipy.stats.pearsonr: {t_ref * n_v * len(table):.1f} s for {len(table)} seed maps "
              f"(extrapolated from {k} voxels) vs our maps {times['maps']:.2f} s: "
              f"{t_ref * n_v * len(table) / times['maps']:.0f}x; max |r| difference "
              f"{np.max(np.abs(ref - result.r[0][subset[:k]])):.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
