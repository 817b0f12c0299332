"""Wall time of `snakemake -n` (the whole DAG planned, nothing run) against the number of subjects.

For each N, a BIDS tree with N subjects (half DTI arm, half rsfMRI arm) is written with empty image
files: names, participants.tsv, sessions tables and sidecars are what planning reads, so they are
real (copied from the tiny synthetic trial with the subject relabelled); NIfTI files are empty. Then
`snakemake -n` runs on it once (fresh process, as an analyst or a SLURM job would) and the wall
time, the job count and peak memory are printed. Goal (issue 10): 1,000 subjects in <= 30 s.

    python bench/dryrun_scaling.py [--subjects 100 500 1000] [--work /tmp/dryrun]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = {"dti": "d01", "rsfmri": "r01"}


def tiny_trial(work: Path) -> Path:
    """The tiny synthetic trial, written once, as the source of names and small text files."""
    tiny = work / "tiny"
    if not (tiny / "dataset_description.json").exists():
        from trialmri.synth import synthesize
        synthesize(tiny, "tiny", seed=1)
    return tiny


def _copy_subject(src_root: Path, dst_root: Path, old: str, new: str) -> None:
    for src in (src_root / f"sub-{old}").rglob("*"):
        if not src.is_file():
            continue
        dst = dst_root / Path(str(src.relative_to(src_root)).replace(f"sub-{old}", f"sub-{new}"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.name.endswith((".nii.gz", ".nii")):
            dst.touch()
        else:
            shutil.copyfile(src, dst)


def write_dataset(tiny: Path, out: Path, n: int) -> None:
    """N subjects: d0001.. (DTI) and r0001.. (rsfMRI), images empty, text files real."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("dataset_description.json", "participants.json", "sessions.json", "README", "CHANGES"):
        if (tiny / name).exists():
            shutil.copyfile(tiny / name, out / name)
    fmriprep = tiny / "derivatives" / "fmriprep"
    (out / "derivatives" / "fmriprep").mkdir(parents=True)
    shutil.copyfile(fmriprep / "dataset_description.json", out / "derivatives" / "fmriprep" / "dataset_description.json")
    participants = pd.read_csv(tiny / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    rows = []
    for i in range(n):
        arm = "dti" if i % 2 == 0 else "rsfmri"
        old = TEMPLATES[arm]
        new = f"{old[0]}{i // 2 + 1:04d}"
        _copy_subject(tiny, out, old, new)
        if arm == "rsfmri":
            _copy_subject(fmriprep, out / "derivatives" / "fmriprep", old, new)
        row = participants[participants.participant_id == f"sub-{old}"].iloc[0].copy()
        row["participant_id"] = f"sub-{new}"
        rows.append(row)
    pd.DataFrame(rows).to_csv(out / "participants.tsv", sep="\t", index=False)


def dry_run(work: Path, bids: Path) -> tuple[float, int, float]:
    """Wall time (s), planned jobs and the child's peak RSS (MB) of one `snakemake -n`."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "config.yaml"
    config.write_text(f"bids_dir: {bids}\noutput_dir: {work / 'results'}\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
                           "--configfile", str(config), "-n", "--quiet", "rules"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"snakemake -n failed on {bids}:\n{proc.stderr[-3000:]}")
    total = re.search(r"^total\s+(\d+)", proc.stdout + proc.stderr, re.M)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, int(total[1]) if total else -1, max(rss, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="trialmri-dryrun-"))
    tiny = tiny_trial(work)
    print("subjects  jobs  dry-run s  peak MB (largest so far)")
    for n in args.subjects:
        bids = work / f"bids-{n}"
        write_dataset(tiny, bids, n)
        wall, jobs, rss = dry_run(work / f"run-{n}", bids)
        print(f"{n:8d}  {jobs:5d}  {wall:9.1f}  {rss:7.0f}", flush=True)


if __name__ == "__main__":
    main()
