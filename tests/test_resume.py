"""A run killed at a random point resumes with --rerun-incomplete, at other thread counts, to the
very tables and images of an uninterrupted run, in a folder whose path has spaces and quotes."""

import json
import os
import random
import re
import signal
import subprocess

import pytest
from conftest import BIN, ROOT, held_back_copy, output_images, output_tables, snakemake
from test_synth import digests

pytestmark = pytest.mark.workflow
ODD_FOLDER = "it's a \"resumed\" trial"  # a space, a single and a double quote


def run_until_killed(work, after_jobs: int) -> int:
    """Start the workflow on ``work`` and SIGKILL its process group (by the run's own pid) once
    ``after_jobs`` jobs have finished; the finished-job count at the kill."""
    cmd = [BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
           "--cores", "2"]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    done = 0
    try:
        for line in proc.stderr:
            found = re.search(r"(\d+) of (\d+) steps", line)
            if found and int(found[1]) >= after_jobs:
                done = int(found[1])
                os.killpg(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.stderr.close()
        proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"the run ended (exit {proc.returncode}) before {after_jobs} jobs"
    return done


def test_killed_run_resumes_to_the_tables_and_images_of_an_uninterrupted_run(first_run, tiny_bids, tmp_path):
    work = tmp_path / ODD_FOLDER
    work.mkdir()
    bids = held_back_copy(tiny_bids, work)
    before = digests(bids)
    seed = random.SystemRandom().randrange(1_000_000)
    after_jobs = random.Random(seed).randint(10, 150)
    print(f"kill point: seed {seed}, after {after_jobs} finished jobs")
    killed_at = run_until_killed(work, after_jobs)
    incomplete = [p for p in (work / ".snakemake" / "incomplete").rglob("*") if p.is_file()]
    print(f"killed after {killed_at} jobs; {len(incomplete)} job(s) left incomplete")
    snakemake(work, "--unlock")
    # other thread counts than the first run's (1 and 1): Snakemake sets OMP/OPENBLAS_NUM_THREADS to
    # them, and the numbers must not change (trialmri.blas)
    snakemake(work, "--cores", "2", "--rerun-incomplete", "--set-threads", "correct_dwi=2", "clustsim=2")
    assert digests(bids) == before, "the workflow wrote into the input dataset"
    local = json.loads((first_run / "tables.json").read_text())
    resumed = output_tables(work)
    assert sorted(resumed) == sorted(local)
    assert [name for name in local if resumed[name] != local[name]] == []
    images = json.loads((first_run / "images.json").read_text())
    mine = output_images(work)
    assert sorted(mine) == sorted(images)
    assert [name for name in images if mine[name] != images[name]] == []
