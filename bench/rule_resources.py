"""Peak memory and wall time per rule, measured, against what config `resources:` asks for.

Every rule writes Snakemake's benchmark TSV (output_dir/benchmarks/<rule>/<job>.tsv: wall time s,
peak RSS max_rss in MB, sampled every second for the first 30 s, then every 30 s). This script
takes the worst job of each rule and suggests mem_mb = 1.5 x peak RSS (at least 500 MB, rounded up
to 250 MB) and runtime = 3 x the longest wall time (at least 5 min), then compares with the config.

    python bench/rule_resources.py RESULTS [--config config/config.yaml]
    python bench/rule_resources.py --measure WORK     # synth study geometry at small n, run, report

--measure writes a trial at the study's image geometry (DWI 2 mm 104x104x72 with 4 b0 + 30
directions, T1w 0.8 mm, BOLD 3.75 x 3.75 x 3.5 mm, 192 volumes; `trialmri synth --preset study`)
with one subject per group of each arm (subject-level jobs do not depend on n), runs the workflow on
it with one job at a time (no job's peak shares the machine) and prints the table. Group jobs grow
with n and fail at one subject per group (--keep-going): measure them on a finished run of your own
(``python bench/rule_resources.py RESULTS``).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time

from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SMALL_STUDY = {"dti_groups": {"ketamine": 1, "vehicle": 1}, "rs_groups": {"HV": 1, "TRD": 1},
               "rs_missing": {"TRD": 0, "HV": 0}}


def measured(results: Path) -> pd.DataFrame:
    """One row per rule: jobs, worst peak RSS (MB) and wall time (s) over its benchmark files."""
    rows = []
    for folder in sorted((results / "benchmarks").iterdir()):
        tables = [pd.read_csv(f, sep="\t") for f in sorted(folder.glob("*.tsv"))]
        if not tables:
            continue
        runs = pd.concat(tables, ignore_index=True)
        rss = pd.to_numeric(runs["max_rss"], errors="coerce")
        rows.append({"rule": folder.name, "jobs": len(tables), "max_rss_mb": rss.max(),
                     "max_s": runs["s"].max(), "mean_s": runs["s"].mean()})
    if not rows:
        raise SystemExit(f"no benchmark files under {results / 'benchmarks'}: run the workflow first")
    return pd.DataFrame(rows).set_index("rule")


def suggest(row) -> tuple[int, int]:
    """mem_mb and runtime (min) with headroom, from one rule's worst job."""
    rss = 0.0 if pd.isna(row.max_rss_mb) else row.max_rss_mb
    mem = max(500, math.ceil(1.5 * rss / 250) * 250)
    runtime = max(5, math.ceil(3 * row.max_s / 60))
    return mem, runtime


def compare(results: Path, config: Path) -> pd.DataFrame:
    asked = yaml.safe_load(config.read_text())["resources"]
    table = measured(results)
    table[["suggest_mem_mb", "suggest_runtime_min"]] = [suggest(r) for r in table.itertuples()]
    table["config_mem_mb"] = [asked.get(r, {}).get("mem_mb") for r in table.index]
    table["config_runtime_min"] = [asked.get(r, {}).get("runtime") for r in table.index]
    table["enough"] = ((table.max_rss_mb.fillna(0) <= table.config_mem_mb)
                       & (table.max_s <= 60 * table.config_runtime_min))
    return table


def measure(work: Path, participants: list[str]) -> Path:
    """Synthesize the study-geometry trial (once) and run the whole workflow on it, one job at a time
    (only ``participants`` if given: subject jobs do not depend on n)."""
    from trialmri.synth import synthesize
    from trialmri.synth.presets import get_preset

    bids = work / "bids"
    if not (bids / "dataset_description.json").exists():
        t0 = time.perf_counter()
        synthesize(bids, get_preset("study", **SMALL_STUDY), seed=7, progress=sys.stderr.isatty())
        print(f"synth: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    (work / "config.yaml").write_text(f"bids_dir: {bids}\noutput_dir: {work / 'results'}\n"
                                      f"participant_label: {list(participants)}\n")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
                    "--configfile", str(work / "config.yaml"), "--cores", "2", "--jobs", "1",
                    "--keep-going"], check=True)
    print(f"workflow: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return work / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", type=Path, help="a run's output_dir")
    parser.add_argument("--measure", type=Path, metavar="WORK", help="synth + run in WORK, then report")
    parser.add_argument("--participants", nargs="*", default=[], help="with --measure: only these subjects")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    args = parser.parse_args()
    if (args.results is None) == (args.measure is None):
        parser.error("give RESULTS or --measure WORK")
    results = measure(args.measure, args.participants) if args.measure else args.results
    table = compare(results, args.config)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table.round({"max_rss_mb": 0, "max_s": 1, "mean_s": 1}).to_string())
    short = table.index[~table.enough].tolist()
    print(f"\n{len(table)} rules; config asks too little for: {', '.join(short) or 'none'}")


if __name__ == "__main__":
    main()
