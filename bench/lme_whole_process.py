"""``trialmri lme`` as a whole process (start-up, reading the maps, the fit, writing the outputs)
at the study's size, against the previous implementation (a git revision, ``--previous``) in the same
run and against R's nlme per voxel.

Input: 89 float32 maps (the study's crossover design from tests/fixtures/lme/make_fixture.py:
46 subjects, 89 rows) on a 99 x 117 x 95 grid at 2 mm, as the workflow gives them (``.nii.gz``
written by ``trialmri.io.save_nifti``), values in a 230,000-voxel "brain" and 0 outside, and a
mask of its 200,000 most central voxels (``--voxels``). Data: bench/voxelwise_lme.py's simulation
(random subject intercept, tau/sigma 0 in 20 % of voxels). Model ``group*treatment+order``.

Measured, each ``--repeats`` times (median), CPU seconds (user + sys, all threads) of the child
process from ``resource.getrusage(RUSAGE_CHILDREN)``:

- ``previous``: ``python -m trialmri.cli lme`` with ``--previous``'s ``trialmri`` package (default
  6316d20, before issue 28; ``git archive REV trialmri`` unpacked into a temporary folder put first on PYTHONPATH), which
  writes ``P_resid.nii.gz`` by default;
- ``ours``: the working tree's ``trialmri lme`` as the workflow runs it (residuals written), and
  with ``--no-resid``; with ``--uncompressed``, also on the same maps as ``.nii``;
- a breakdown of each: start-up and imports (a child that only imports the program's modules),
  reading the table and maps, the fit, writing the outputs (one extra run under cProfile with a
  CPU-time clock), and the rest of the whole process;
- R's nlme (tests/fixtures/lme/nlme_fit.R, default ``lmeControl()``, as 3dLME runs it) on
  ``--r-voxels`` voxels when ``Rscript`` with nlme is on PATH, else the issue's 11 ms per voxel;
  ours per voxel is the whole process's CPU s / voxels, and the ratio is nlme's per voxel / ours.
  Goal: >= 1000x, i.e. <= 2.2 CPU s for 200,000 voxels at the issue's 11 ms (printed for both).

Every child runs in the temporary folder: the working folder is first on ``sys.path``.

    .venv/bin/python bench/lme_whole_process.py [--voxels 200000] [--repeats 3] [--work DIR]
        [--r-voxels 200] [--uncompressed]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPE, VOXEL_MM = (99, 117, 95), 2.0
BRAIN_VOXELS = 230000
FORMULA = "group*treatment+order"
NLME_ISSUE_S = 0.011  # the issue's nlme CPU s per voxel, when Rscript with nlme is not available
GOAL_RATIO = 1000.0
PHASES = {  # phase: functions (cProfile names) whose cumulative CPU time it is
    "read": ("read_data_table", "load_maps"),
    "fit": ("fit_voxels",),
    "write": ("_to_grid", "stats_values", "save_nifti", "save_masked_nifti", "write_json"),
}
IMPORTS_CHILD = "import trialmri.cli, trialmri.lme.lme_files"  # what `trialmri lme` imports before it reads
PROFILE_CHILD = """
import cProfile, pstats, sys, time
from trialmri.cli import main
prof = cProfile.Profile(time.process_time)
prof.enable()
code = main(sys.argv[2:])
prof.disable()
total = {}
for (path, line, name), (cc, nc, tt, ct, callers) in pstats.Stats(prof).stats.items():
    if "trialmri" in path:
        total[name] = total.get(name, 0.0) + ct
with open(sys.argv[1], "w") as out:
    out.writelines(f"{name}\\t{ct}\\n" for name, ct in total.items())
sys.exit(code)
"""


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def brain_and_mask(n_mask: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean 3-D brain (BRAIN_VOXELS) and mask (its ``n_mask`` most central voxels): ellipsoids."""
    axes = [np.linspace(-1, 1, n) for n in SHAPE]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    radius = (x**2 + y**2 + z**2).ravel()
    order = np.argsort(radius, kind="stable")
    brain, mask = np.zeros(radius.size, bool), np.zeros(radius.size, bool)
    brain[order[:max(BRAIN_VOXELS, n_mask)]] = True
    mask[order[:n_mask]] = True
    return brain.reshape(SHAPE), mask.reshape(SHAPE)


def make_inputs(work: Path, n_mask: int, uncompressed: bool) -> dict[str, Path]:
    """The maps (.nii.gz, and .nii with ``uncompressed``), mask and data tables in ``work``
    (kept between runs: made only when missing)."""
    from trialmri.io import save_nifti

    voxelwise = _load(ROOT / "bench" / "voxelwise_lme.py", "voxelwise_lme")
    from trialmri.stats.formula import build_design

    table = voxelwise.study_design()
    tables = {ext: work / f"table{ext.replace('.', '_')}.tsv" for ext in ([".nii.gz", ".nii"] if uncompressed
                                                                          else [".nii.gz"])}
    mask_path = work / f"mask_{n_mask}.nii.gz"
    affine = np.diag([-VOXEL_MM, VOXEL_MM, VOXEL_MM, 1.0])
    affine[:3, 3] = [98.0, -134.0, -72.0]
    brain, mask = brain_and_mask(n_mask)
    if not mask_path.exists():
        save_nifti(mask_path, mask, affine, dtype=np.uint8)
    names = [f"map{row:02d}" for row in range(len(table))]
    missing = [ext for ext in tables if not all((work / f"{n}{ext}").exists() for n in names)]
    if missing:
        design = build_design(table, FORMULA)
        subject_idx = np.unique(table["subject"].to_numpy(), return_inverse=True)[1]
        Y = voxelwise.simulate(design.X, subject_idx, int(brain.sum()))
        volume = np.zeros(SHAPE, np.float32)
        for row, name in enumerate(names):
            volume[brain] = Y[row]
            for ext in missing:
                save_nifti(work / f"{name}{ext}", volume, affine)
    for ext, path in tables.items():
        table.drop(columns=["row"]).assign(InputFile=[f"{n}{ext}" for n in names]).to_csv(
            path, sep="\t", index=False)
    return {"mask": mask_path, **{ext: path for ext, path in tables.items()}}


def previous_package(tmp: Path, rev: str) -> Path | None:
    """The trialmri package at git revision ``rev`` unpacked into ``tmp`` (for PYTHONPATH), or None outside git."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "trialmri"], capture_output=True)
    if archive.returncode != 0:
        return None
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    return tmp


def child_cpu(argv: list[str], env: dict) -> float:
    """CPU seconds (user + sys) of one child process running ``argv``; it must succeed. It runs in
    the temporary folder (``env["TMPDIR"]``): the working folder is first on ``sys.path``, and the
    repository's would hide the previous implementation on PYTHONPATH."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=env["TMPDIR"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def breakdown(lme_args: list[str], env: dict, tmp: Path, whole_s: float, repeats: int) -> dict[str, float]:
    """CPU s per phase: start-up and imports (a child that only imports the program's modules,
    median of ``repeats``), read, fit and write (cumulative times of their functions in one run
    under cProfile with a CPU-time clock); "other" is the rest of ``whole_s`` (the median whole
    process): parsing, the table and design, the sidecar, and the noise of one profiled run."""
    imports = [child_cpu([sys.executable, "-c", IMPORTS_CHILD], env) for _ in range(repeats)]
    out = tmp / "profile.tsv"
    child_cpu([sys.executable, "-c", PROFILE_CHILD, str(out), "lme", *lme_args], env)
    times = {k: float(v) for k, v in (line.split("\t") for line in out.read_text().splitlines())}
    phases = {"imports": float(np.median(imports))}
    for phase, names in PHASES.items():
        phases[phase] = sum(times.get(n, 0.0) for n in names)
    phases["other"] = whole_s - sum(phases.values())  # < 0: the profiled run took longer than the median
    phases["whole"] = whole_s
    return phases


def nlme_per_voxel(n_vox: int) -> tuple[float, str]:
    """nlme's CPU s per voxel: measured through bench/voxelwise_lme.py's peer on ``n_vox`` voxels, or
    the issue's figure."""
    rscript = shutil.which("Rscript")
    if not rscript or n_vox <= 0 or subprocess.run([rscript, "-e", "library(nlme)"],
                                                   capture_output=True).returncode != 0:
        return NLME_ISSUE_S, "the issue's figure (no Rscript with nlme)"
    voxelwise = _load(ROOT / "bench" / "voxelwise_lme.py", "voxelwise_lme")
    from trialmri.stats.formula import build_design

    table = voxelwise.study_design()
    subject_idx = np.unique(table["subject"].to_numpy(), return_inverse=True)[1]
    Y = voxelwise.simulate(build_design(table, FORMULA).X, subject_idx, n_vox, seed=3)
    cpu = voxelwise.nlme_peer(rscript, table, Y, np.arange(n_vox))[1]
    return cpu, f"measured on {n_vox} voxels (nlme_fit.R, default lmeControl)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voxels", type=int, default=200000, help="voxels in the mask")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="folder for the inputs (kept; default: a temporary one)")
    parser.add_argument("--r-voxels", type=int, default=200, help="voxels fitted with R's nlme (0: issue figure)")
    parser.add_argument("--uncompressed", action="store_true", help="also time the maps as uncompressed .nii")
    parser.add_argument("--no-previous", action="store_true", help="skip the previous implementation")
    parser.add_argument("--previous", default="6316d20", metavar="REV",
                        help="git revision of the previous implementation (default: before issue 28)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        work = args.work or tmp / "inputs"
        work.mkdir(parents=True, exist_ok=True)
        inputs = make_inputs(work, args.voxels, args.uncompressed)
        env = {**os.environ, "TMPDIR": str(tmp)}
        base = ["--formula", FORMULA, "--mask", str(inputs["mask"]), "--out-prefix", str(tmp / "out" / "P")]
        (tmp / "out").mkdir()
        runs = {"ours (residuals, as the workflow)": (env, ["--table", str(inputs[".nii.gz"]), *base]),
                "ours --no-resid": (env, ["--table", str(inputs[".nii.gz"]), *base, "--no-resid"])}
        if args.uncompressed:
            runs["ours, .nii maps (residuals)"] = (env, ["--table", str(inputs[".nii"]), *base])
        if not args.no_previous and previous_package(tmp / "previous", args.previous):
            old_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp / "previous"),
                                                                           env.get("PYTHONPATH")]))}
            runs = {f"previous ({args.previous}, residuals)": (old_env, ["--table", str(inputs[".nii.gz"]), *base]),
                    **runs}
        cpu = {}
        for name, (run_env, lme_args) in runs.items():
            argv = [sys.executable, "-m", "trialmri.cli", "lme", *lme_args]
            child_cpu(argv, run_env)  # warm-up: page cache, .pyc files
            cpu[name] = [child_cpu(argv, run_env) for _ in range(args.repeats)]
        phases = {name: breakdown(lme_args, run_env, tmp, float(np.median(cpu[name])), args.repeats)
                  for name, (run_env, lme_args) in runs.items()}
        nlme, nlme_source = nlme_per_voxel(args.r_voxels)

    print(f"{len(inputs) - 1} table(s) of 89 maps, grid {SHAPE} at {VOXEL_MM:g} mm, {args.voxels} voxels in the "
          f"mask; CPU s = user + sys of the child process, median of {args.repeats}")
    print(f"nlme: {nlme * 1e3:.2f} ms CPU per voxel, {nlme_source}")
    print()
    print(f"{'run':<36} {'CPU s':>7} {'(runs)':<20} {'us/voxel':>8} {'nlme/ours':>9}")
    for name, values in cpu.items():
        med = float(np.median(values))
        per = med / args.voxels
        runs_text = "(" + ", ".join(f"{v:.2f}" for v in values) + ")"
        print(f"{name:<36} {med:>7.2f} {runs_text:<20} {per * 1e6:>8.2f} {nlme / per:>8,.0f}x")
    print()
    keys = list(next(iter(phases.values())))
    print(f"{'breakdown, CPU s':<36} " + " ".join(f"{k:>8}" for k in keys))
    for name, values in phases.items():
        print(f"{name:<36} " + " ".join(f"{values[k]:>8.2f}" for k in keys))
    print()
    ours = float(np.median(cpu["ours (residuals, as the workflow)"]))
    for per_voxel, source in {nlme: "nlme as measured", NLME_ISSUE_S: "nlme at the issue's 11 ms"}.items():
        goal_s = per_voxel * args.voxels / GOAL_RATIO
        print(f"goal ({source}): whole process >= {GOAL_RATIO:.0f}x nlme per voxel, i.e. <= {goal_s:.2f} CPU s "
              f"for {args.voxels} voxels: {ours:.2f} s ({per_voxel * args.voxels / ours:,.0f}x) -> "
              f"{'met' if ours <= goal_s else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
