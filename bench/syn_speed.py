"""T1w -> MNI registration (affine + SyN): CPU seconds and accuracy against the planted transform.

Usage: python bench/syn_speed.py STUDY_DIR [--extra N] [--only NAME ...] [--repeat]

STUDY_DIR is a `trialmri synth` dataset at study geometry (0.8 mm T1w; `python
bench/dwi_corrections.py --make /tmp/syn_study` writes one). Its DTI subjects' T1w were made by
sampling the MNI template through a planted affine (truth.json: ``mni_to_head``, session
``head_to_scanner``), which SyN cannot improve on; ``--extra N`` adds N subjects drawn the same way
(seeded) with a smooth random nonlinear displacement (``--warp-mm``, 4 mm at most) planted too, so
that SyN has something to find.

Each subject's brain mask in T1w space is the planted MNI brain mask carried through the planted
transform (an identity DWI -> T1w transform), so every setting sees the same masked T1w, as
:func:`trialmri.dwi.registration.register_t1w_to_template` builds it.

For each setting: CPU seconds of the registration (``time.process_time`` of this process: ANTsPy
runs in-process, ITK on one thread) and, on the planted truth's MNI grid, for the brain's voxels:
mean and 95th percentile distance (MNI mm) between where our template -> T1w transform and the
planted one send the voxel; Dice of each ROI mask with the mask seen through our transform (mean
and worst ROI); and the largest ROI-mean MD error (%) of the truth MD map seen through our
transform (the accuracy test's quantity, without the DWI processing). The table gives means over
subjects (MD %: also the worst subject); ratios are to today's setting (ANTsPy "SyN", iterations
(40, 20, 10)). CPU time varies by ~10 % run to run on a shared machine.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from trialmri.dwi import registration as reg
from trialmri.io import save_nifti

TODAY_SYN = (40, 20, 10)
OFF_GRID = -1.0e6  # resampled value off the moving grid (ANTs takes no NaN)


# --- subjects --------------------------------------------------------------------------------------

def planted_subject(root: Path) -> dict:
    """The first DTI subject of a synth dataset: T1w path and planted MNI -> scanner affine (RAS mm)."""
    truth = json.loads((root / "truth.json").read_text())["dti"]
    sub, info = next(iter(truth["subjects"].items()))
    pose = np.asarray(info["sessions"]["pre"]["head_to_scanner"])
    t1w = root / f"sub-{sub}" / "ses-pre" / "anat" / f"sub-{sub}_ses-pre_T1w.nii.gz"
    return {"name": sub, "t1w": t1w, "mni_to_scanner": pose @ np.asarray(info["mni_to_head"]),
            "warp": lambda points: points}


class Displacement:
    """A smooth random displacement of MNI points (mm): white noise on a 4 mm MNI grid smoothed
    by ``smooth_mm`` and scaled to a largest length of ``largest_mm``; identity when 0."""

    def __init__(self, rng: np.random.Generator, largest_mm: float = 0.0, smooth_mm: float = 16.0):
        from trialmri.templates import mni_grid

        grid = mni_grid(4.0)
        noise = rng.normal(0.0, 1.0, (3, *grid.shape))
        field = np.stack([ndimage.gaussian_filter(c, smooth_mm / 4.0) for c in noise])
        self.field = field * (largest_mm / max(np.linalg.norm(field, axis=0).max(), 1e-12))
        self.affine = grid.affine

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """``points`` (3, ...) MNI mm, each moved by the (trilinear) displacement."""
        from trialmri.grids import sample

        return points + np.stack([sample(c, self.affine, points) for c in self.field])


def extra_subject(folder: Path, index: int, largest_mm: float) -> dict:
    """A T1w drawn as the synth's study preset draws one (another seed), written to ``folder``,
    the template first displaced by a smooth random :class:`Displacement` (a nonlinear anatomy
    difference SyN must find): the T1w at scanner point p shows the template at
    ``warp(inv(mni_to_scanner) p)``."""
    from trialmri import transforms
    from trialmri.grids import Grid, sample
    from trialmri.synth import dwi, trial
    from trialmri.synth.presets import BRAIN_CENTRE_MNI, get_preset
    from trialmri.templates import mni_1mm

    preset = get_preset("study")
    rng = np.random.default_rng([77, index])
    mni_to_scanner = trial._random_pose(rng) @ trial._random_anatomy(rng)
    warp = Displacement(rng, largest_mm)
    centre = transforms.apply(mni_to_scanner, np.array(BRAIN_CENTRE_MNI, float).reshape(3, 1)).ravel()
    grid = Grid.centred(preset.t1_shape, preset.t1_voxel_mm, centre, flip_x=True)
    maps, affine_1mm = mni_1mm()
    ijk = np.indices(maps["t1"].shape, np.float32)
    world = np.tensordot(affine_1mm[:3, :3], ijk, 1) + affine_1mm[:3, 3].reshape(3, 1, 1, 1)
    displaced = sample(maps["t1"], affine_1mm, warp(world)).astype(np.float32)
    t1 = dwi.simulate_t1w(displaced, affine_1mm, grid, mni_to_scanner, 15.0, rng)
    path = folder / f"extra{index}_T1w.nii.gz"
    save_nifti(path, t1, grid.affine, np.int16)
    return {"name": f"extra{index}", "t1w": path, "mni_to_scanner": mni_to_scanner, "warp": warp}


def planted_mask(subject: dict, truth: dict, folder: Path) -> tuple[Path, Path]:
    """The planted MNI brain mask on the subject's T1w grid (nearest) and an identity ``.mat``."""
    from trialmri.grids import sample

    t1w = nib.load(subject["t1w"])
    ijk = np.indices(t1w.shape, np.float32).reshape(3, -1)
    back = np.linalg.inv(subject["mni_to_scanner"]) @ t1w.affine
    mni = subject["warp"](back[:3, :3] @ ijk + back[:3, 3:4])
    mask = sample(truth["brain"].astype(np.float32), truth["affine"], mni, order=0).reshape(t1w.shape)
    mask_path, identity = folder / f"{subject['name']}_mask.nii.gz", folder / "identity.mat"
    save_nifti(mask_path, mask > 0.5, t1w.affine, np.uint8)
    ants = reg._ants()
    ants.write_transform(ants.create_ants_transform(transform_type="AffineTransform", dimension=3), str(identity))
    return mask_path, identity


def load_truth(root: Path) -> dict:
    """Planted MNI brain and ROI masks, pre-session MD map and their grid (RAS affine)."""
    truth = json.loads((root / "truth.json").read_text())["dti"]
    brain = nib.load(root / truth["brain_mask"])
    sub = next(iter(truth["subjects"].values()))
    return {"affine": brain.affine, "brain": np.asarray(brain.dataobj) > 0, "path": root / truth["brain_mask"],
            "rois": {r: np.asarray(nib.load(root / p).dataobj) > 0 for r, p in truth["roi_masks"].items()},
            "md": nib.load(root / sub["sessions"]["pre"]["md_mni"]).get_fdata(dtype=np.float32)}


# --- accuracy --------------------------------------------------------------------------------------

def ras_coordinates(image) -> np.ndarray:
    """World RAS mm (3, *shape) of an ANTs image's voxels (ANTs' physical space is LPS)."""
    ijk = np.indices(image.shape, np.float64).reshape(3, -1)
    lps = (np.asarray(image.direction) * np.asarray(image.spacing)) @ ijk + np.asarray(image.origin)[:, None]
    return (lps * np.array([[-1.0], [-1.0], [1.0]])).reshape(3, *image.shape)


def mapped_points(ants, transforms: list, moving, truth: dict) -> np.ndarray:
    """Where ``transforms`` (template -> T1w, ANTs order) send each truth-grid voxel: T1w RAS mm
    (3, *grid), NaN off the moving grid. Trilinear resampling of the coordinates is exact."""
    reference = ants.image_read(str(truth["path"])).clone("float")
    out = [ants.apply_transforms(reference, moving.new_image_like(c.astype(np.float32)), transforms,
                                 interpolator="linear", defaultvalue=OFF_GRID).numpy()
           for c in ras_coordinates(moving)]
    out = np.stack(out)
    return np.where((out == OFF_GRID).any(0), np.nan, out)


def accuracy(points: np.ndarray, subject: dict, truth: dict) -> dict:
    """Error of template -> T1w ``points`` against the planted transform (see the module doc)."""
    shape = truth["brain"].shape
    ijk = np.indices(shape, np.float64).reshape(3, -1)
    mni = truth["affine"][:3, :3] @ ijk + truth["affine"][:3, 3:4]
    # our T1w point carried back to MNI by the planted transform: where the anatomy really is
    back = np.linalg.inv(subject["mni_to_scanner"])
    seen = subject["warp"](back[:3, :3] @ points.reshape(3, -1) + back[:3, 3:4])
    dist = np.linalg.norm(seen - mni, axis=0).reshape(shape)[truth["brain"]]
    vox = np.linalg.inv(truth["affine"])[:3, :3] @ seen + np.linalg.inv(truth["affine"])[:3, 3:4]
    vox = np.nan_to_num(vox, nan=-10.0)
    dice, md_err = [], []
    for mask in truth["rois"].values():
        moved = ndimage.map_coordinates(mask.astype(np.float32), vox, order=1).reshape(shape) > 0.5
        dice.append(2 * (moved & mask).sum() / (moved.sum() + mask.sum()))
        md = ndimage.map_coordinates(truth["md"], vox, order=1).reshape(shape)
        md_err.append(abs(md[mask].mean() / truth["md"][mask].mean() - 1) * 100)
    return {"mean_mm": float(np.nanmean(dist)), "p95_mm": float(np.nanpercentile(dist, 95)),
            "off_grid": int(np.isnan(dist).sum()), "dice_mean": float(np.mean(dice)),
            "dice_min": float(np.min(dice)), "md_err_pct": float(np.max(md_err))}


# --- settings --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AffineStage:
    """A Mattes-MI affine stage, one entry per level (coarse to fine): iterations, shrink factor
    (x the template voxel), smoothing sigma (voxels of the level), fraction of voxels sampled.
    The defaults are the affine stage of ANTsPy's "SyN"."""

    iterations: tuple = (2100, 1200, 1200, 0)
    shrink_factors: tuple = (4, 2, 2, 1)
    smoothing_sigmas: tuple = (3, 2, 1, 0)
    sampling_rate: float = 0.2


def affine_stage(ants, template, moving, prefix: str, stage: AffineStage) -> str:
    """The ``.mat`` of ``stage`` alone (started from the centres of mass)."""
    return ants.registration(template, moving, type_of_transform="Affine", outprefix=prefix, aff_metric="mattes",
                             aff_iterations=stage.iterations, aff_shrink_factors=stage.shrink_factors,
                             aff_smoothing_sigmas=stage.smoothing_sigmas,
                             aff_random_sampling_rate=stage.sampling_rate)["fwdtransforms"][0]


def two_step(stage: AffineStage, syn_iterations):
    """``stage``, then SyN (ANTsPy "SyNOnly") from it: ``syn_iterations`` per level."""
    def run(ants, template, moving, prefix):
        affine = affine_stage(ants, template, moving, f"{prefix}a_", stage)
        return ants.registration(template, moving, type_of_transform="SyNOnly", initial_transform=affine,
                                 outprefix=f"{prefix}s_", reg_iterations=syn_iterations)["fwdtransforms"]
    return run


def affine_only(stage: AffineStage):
    """The affine stage alone (no warp): how much SyN adds."""
    def run(ants, template, moving, prefix):
        return [affine_stage(ants, template, moving, f"{prefix}a_", stage)]
    return run


def one_call(syn_iterations):
    """ANTsPy "SyN" in one call (its affine stage, then SyN), as register_t1w_to_template runs it."""
    def run(ants, template, moving, prefix):
        return ants.registration(template, moving, type_of_transform="SyN", outprefix=prefix,
                                 reg_iterations=tuple(syn_iterations))["fwdtransforms"]
    return run


FAST = AffineStage(iterations=(1000, 500, 250, 0), sampling_rate=0.1)

SETTINGS = {
    "today: SyN (40,20,10)": one_call(TODAY_SYN),
    "affine stage only": affine_only(AffineStage()),
    "SyN (40,20,0)": one_call((40, 20, 0)),
    "SyN (40,20,3)": one_call((40, 20, 3)),
    "SyN (40,20,4)": one_call((40, 20, 4)),
    "SyN (40,20,7)": one_call((40, 20, 7)),
    "fast affine, SyN (40,20,5)": two_step(FAST, (40, 20, 5)),
    f"module default {reg.SYN_ITERATIONS}": one_call(reg.SYN_ITERATIONS),
}


def prepare(ants, subject: dict, mask: Path, identity: Path, template):
    """The masked T1w on the template's voxel size, as register_t1w_to_template builds it."""
    t1w = ants.image_read(str(subject["t1w"]))
    return reg._no_finer_than(ants, reg._t1w_brain(ants, t1w, mask, identity), template.spacing)


def run_setting(ants, setting, template, moving, folder: Path) -> tuple[float, list]:
    """CPU seconds of one setting and its transforms (copied to ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        produced = setting(ants, template, moving, f"{tmp}/r_")
        cpu = time.process_time() - start
        kept = [str(folder / Path(p).name) for p in produced]
        reg._keep(produced, kept)
    return cpu, kept


def same_bytes(a: list, b: list) -> bool:
    """Whether the files of ``a`` and ``b`` (pairwise) hold the same bytes."""
    return all(filecmp.cmp(x, y, shallow=False) for x, y in zip(a, b))


def table(rows: list[dict]) -> str:
    """Mean over subjects per setting, with ratios to today's CPU time and error."""
    names = list(dict.fromkeys(r["setting"] for r in rows))
    mean = {n: {k: np.mean([r[k] for r in rows if r["setting"] == n])
                for k in ("cpu", "mean_mm", "p95_mm", "dice_mean", "dice_min", "md_err_pct")} for n in names}
    base = mean[names[0]]
    lines = [f"{'setting':32s} {'CPU-s':>6s} {'x':>5s} {'mean mm':>8s} {'p95 mm':>7s} {'x':>5s} "
             f"{'Dice':>6s} {'min':>6s} {'MD %':>5s} {'worst':>5s}"]
    for n, m in mean.items():
        worst = max(r["md_err_pct"] for r in rows if r["setting"] == n)
        lines.append(f"{n:32s} {m['cpu']:6.1f} {m['cpu'] / base['cpu']:5.2f} {m['mean_mm']:8.3f} "
                     f"{m['p95_mm']:7.3f} {m['mean_mm'] / base['mean_mm']:5.2f} {m['dice_mean']:6.4f} "
                     f"{m['dice_min']:6.4f} {m['md_err_pct']:5.2f} {worst:5.2f}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("study")
    ap.add_argument("--extra", type=int, default=0, help="more planted subjects, drawn in memory")
    ap.add_argument("--warp-mm", type=float, default=4.0,
                    help="largest planted nonlinear displacement of the extra subjects (mm)")
    ap.add_argument("--only", nargs="*", help="settings to run (substrings); today's always runs")
    ap.add_argument("--repeat", action="store_true", help="run the module default twice: same bytes?")
    args = ap.parse_args()
    root = Path(args.study)
    ants = reg._ants()
    truth = load_truth(root)
    settings = {n: s for n, s in SETTINGS.items()
                if n == "today: SyN (40,20,10)" or not args.only or any(o in n for o in args.only)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        template_path = tmp / "template.nii.gz"
        from trialmri.templates import write_template
        write_template(2, template_path, tmp / "template_mask.nii.gz")
        template = ants.image_read(str(template_path))
        subjects = [planted_subject(root)] + [extra_subject(tmp, i, args.warp_mm) for i in range(args.extra)]
        for subject in subjects:
            mask, identity = planted_mask(subject, truth, tmp)
            start = time.process_time()
            moving = prepare(ants, subject, mask, identity, template)
            print(f"{subject['name']}: masked T1w on the template voxel size {moving.shape}, "
                  f"{time.process_time() - start:.1f} CPU-s", flush=True)
            for name, setting in settings.items():
                cpu, kept = run_setting(ants, setting, template, moving, tmp / subject["name"] / str(len(rows)))
                acc = accuracy(mapped_points(ants, kept, moving, truth), subject, truth)
                rows.append({"subject": subject["name"], "setting": name, "cpu": cpu, **acc})
                print(f"  {name:32s} {cpu:6.1f} CPU-s  " + "  ".join(f"{k} {v:.3f}" for k, v in acc.items()),
                      flush=True)
                if args.repeat and name.startswith("module default"):
                    _, again = run_setting(ants, setting, template, moving, tmp / "again")
                    print(f"  module default twice: same bytes = {same_bytes(kept, again)}", flush=True)
        end_to_end(ants, subjects[0], truth, template_path, tmp)
    print(table(rows))


def end_to_end(ants, subject: dict, truth: dict, template_path: Path, tmp: Path) -> None:
    """CPU seconds of the whole register_t1w_to_template call (reading, masking, registration)."""
    mask, identity = planted_mask(subject, truth, tmp)
    start = time.process_time()
    reg.register_t1w_to_template(subject["t1w"], template_path, mask, identity, tmp / "e2e_affine.mat",
                                 tmp / "e2e_warp.nii.gz")
    print(f"register_t1w_to_template (module default), {subject['name']}: "
          f"{time.process_time() - start:.1f} CPU-s in all", flush=True)


if __name__ == "__main__":
    main()
