"""What parsing the workflow costs: the package imports of `rules/common.smk` and `snakemake -n`.

Every `snakemake` start, and every SLURM job (each re-parses the workflow), pays for the modules
`rules/common.smk` imports at its top. Measured, each in a fresh process, median of `--runs` (warm:
one unmeasured run first), wall seconds and, for whole runs, CPU seconds (user + system, steadier
on a loaded machine):

- imports: wall seconds of exactly the `trialmri` imports of common.smk's import block, alone (a
  fresh interpreter) and after Snakemake's own start-up imports (what a `snakemake` run adds: the
  SLURM executor plugin already imports pandas); and which heavy packages they pull in;
- `snakemake --version`: Snakemake's own start-up, the floor of any run (the peer);
- `snakemake -n` on the tiny trial (whole DAG planned, nothing run);
- `snakemake -n` of one job (`write_dataset_description`): the parse a SLURM job repeats.

Goals (issue 27): imports <= 0.4 s warm, `snakemake -n` on the tiny trial <= 3 s on an idle 2-core
machine. The load average is printed: the figures are wall times.

    python bench/parse_time.py [--bids DIR] [--repo DIR] [--runs 5] [--work DIR]

`--bids`: a BIDS dataset (default: `trialmri synth --preset tiny --seed 7` into the work folder);
`--repo`: the checkout to measure (default: this one; its Snakefile, with PYTHONPATH=REPO), so an
older checkout can be measured with the same script.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_GOAL_S = 0.4
DRY_RUN_GOAL_S = 3.0
HEAVY = ("pandas", "numpy", "scipy", "nibabel", "threadpoolctl", "nipype", "fsl", "nilearn", "matplotlib")
ONE_JOB = "dataset_description.json"  # write_dataset_description's output, under output_dir

TIME_IMPORTS = """
import json, sys, time
if sys.argv[2] == "after-snakemake":
    from snakemake.cli import get_argument_parser
    get_argument_parser()  # loads the executor plugins, as every `snakemake` run does
before = set(sys.modules)
start = time.perf_counter()
exec(sys.argv[1])
seconds = time.perf_counter() - start
heavy = sorted(m for m in sys.argv[3].split(",") if m in sys.modules and m not in before)
print(json.dumps({"seconds": seconds, "heavy": heavy}))
"""


def import_block(common: Path) -> str:
    """The `trialmri` imports at the top of common.smk (up to its first statement that is not an
    import), as Python source."""
    lines = []
    for line in common.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith(("import ", "from ", "#", ")")):
            break
        lines.append(line)
    tree = ast.parse("\n".join(lines))
    keep = [node for node in tree.body
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trialmri")
            or isinstance(node, ast.Import) and any(a.name.startswith("trialmri") for a in node.names)]
    return "\n".join(ast.unparse(node) for node in keep)


def median_wall(argv: list[str], env: dict, runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``argv`` over ``runs`` runs after one
    unmeasured (warming) run. CPU time moves less than wall time on a loaded machine."""
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
        if i:
            walls.append(wall)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def time_imports(code: str, mode: str, env: dict, runs: int) -> tuple[float, list[str]]:
    """Median seconds of the imports in a fresh interpreter (``mode``: "alone" or "after-snakemake")."""
    results = []
    for i in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", TIME_IMPORTS, code, mode, ",".join(HEAVY)], env=env,
                             capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"the imports of common.smk failed:\n{out.stderr[-3000:]}")
        if i:
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(r["seconds"] for r in results), results[-1]["heavy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bids", type=Path, help="BIDS dataset (default: a tiny synthetic trial)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure (median)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    repo = args.repo.resolve()
    work = args.work or Path(tempfile.mkdtemp(prefix="trialmri-parse-"))
    work.mkdir(parents=True, exist_ok=True)
    bids = args.bids
    if bids is None:
        bids = work / "bids"
        if not (bids / "dataset_description.json").exists():
            subprocess.run([sys.executable, "-m", "trialmri.cli", "synth", "--preset", "tiny", "--seed", "7",
                            "--out", str(bids)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(repo)}
    config = work / "config.yaml"
    config.write_text(f"bids_dir: {bids.resolve()}\noutput_dir: {work / 'results'}\n")
    snakemake = [sys.executable, "-m", "snakemake"]
    run = [*snakemake, "-s", str(repo / "Snakefile"), "-d", str(work), "--configfile", str(config), "-n",
           "--quiet", "--cores", "2"]

    code = import_block(repo / "rules" / "common.smk")
    alone, heavy = time_imports(code, "alone", env, args.runs)
    after, heavy_after = time_imports(code, "after-snakemake", env, args.runs)
    version = median_wall([*snakemake, "--version"], env, args.runs)
    dry = median_wall(run, env, args.runs)
    one_job = median_wall([*run, "--forceall", str(work / "results" / ONE_JOB)], env, args.runs)

    print(f"{repo} on {bids}; median of {args.runs} warm runs; load average {os.getloadavg()[0]:.2f} "
          f"(1 min) on {os.cpu_count()} CPUs")
    print(f"{'figure':<48}{'wall s':>8}{'CPU s':>8}{'goal s':>8}")
    print(f"{'common.smk imports, fresh interpreter':<48}{alone:>8.2f}{'':>8}{IMPORT_GOAL_S:>8.1f}  "
          f"heavy: {', '.join(heavy) or 'none'}")
    print(f"{'common.smk imports after Snakemake start-up':<48}{after:>8.2f}{'':>8}{IMPORT_GOAL_S:>8.1f}  "
          f"heavy: {', '.join(heavy_after) or 'none'}")
    rows = [("snakemake --version (peer: Snakemake alone)", version, None),
            ("snakemake -n, tiny trial", dry, DRY_RUN_GOAL_S),
            ("snakemake -n, one job (a SLURM job's parse)", one_job, None)]
    for label, (wall, cpu), goal in rows:
        print(f"{label:<48}{wall:>8.2f}{cpu:>8.2f}{'' if goal is None else f'{goal:.1f}':>8}")
    extra = (one_job[0] - version[0], one_job[1] - version[1])
    print(f"{'  one job over snakemake --version':<48}{extra[0]:>8.2f}{extra[1]:>8.2f}")

if __name__ == "__main__":
    main()
