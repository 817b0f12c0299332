"""A run killed at a random point resumes with --rerun-incomplete, through `--profile profiles/slurm`
on a real one-node SLURM (tests/localslurm.py) and at other thread counts, to the very tables and
images of the uninterrupted local run (the part before the kill at other thread counts), in a
folder whose path has spaces.

The run is the new subjects' run (conftest: two subjects arrive, each with one broken file, after
the first run): it starts from a copy of the first run as it was (conftest.resume_start) and must end
at the tables and images of the same arrival run uninterrupted in the first run's own folder
(conftest.new_subjects_run), so no run of the whole trial is repeated. The copy's config names the
copy's folder, which Snakemake's default rerun triggers would read as new inputs and parameters of
every job; both parts of this run therefore decide what to run by file times alone
(`--rerun-triggers mtime`), as the first run left them.

Not quotes: Snakemake's SLURM executor (snakemake-executor-plugin-slurm 2.8.0) writes the job's
command into the sbatch script so that a working directory with a quote in its path ends the
script in "Unterminated quoted string", even for a one-rule workflow (reproduced on the local
cluster); the workflow now stops such a run before its first job (the last test). The local first
run (conftest.first_run) is the one in a folder with spaces and both quotes.

One run serves three checks: kill and resume, determinism (the new subjects' DWI correction at 2
threads before the kill, at 1 in the reference; the rest on SLURM), and the SLURM profile (every job
after the kill goes through sbatch, a subject's chain as one SLURM job). Without a local SLURM (not
root, or slurm-wlm missing) the run resumes locally and the test says so.
"""

import json
import os
import random
import re
import signal
import subprocess
import warnings

import pytest
from helpers import BIN, ROOT, break_new_subjects, digests, held_back_arrive, output_images, output_tables, snakemake


import localslurm

MTIME_ONLY = ("--rerun-triggers", "mtime")  # see the docstring
RESUME_TIMEOUT_S = 2700  # a stuck queue fails the test instead of holding CI


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running local SLURM, or None (with the reason warned) where one cannot be started."""
    reason = localslurm.unavailable()
    if reason:
        warnings.warn(f"no local SLURM, the killed run resumes locally: {reason}")
        yield None
        return
    running = localslurm.start(tmp_path_factory.mktemp("slurm"))
    yield running
    running.stop()
    assert not any(localslurm._alive(pid) for pid in running.started.values())


def run_until_killed(work, after_jobs: int) -> int:
    """Start the workflow on ``work`` with other thread counts than the reference run's (1 and 1:
    Snakemake sets OMP/OPENBLAS_NUM_THREADS to them, and the numbers must not change, see
    trialmri.blas) and SIGKILL its process group (by the run's own pid) once ``after_jobs`` jobs
    have finished, at least one of them a DWI correction, or, if that comes first, as the new DWI
    subject's last registration job (warp_dti_to_template) starts: the rest of that subject's chain
    is then left for the SLURM part, as one subject job. The finished-job count at the kill."""
    cmd = [BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
           "--cores", "2", "--set-threads", "correct_dwi=2", "clustsim=2", *MTIME_ONLY]
    proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    done, corrected = 0, False
    try:
        for line in proc.stderr:
            corrected = corrected or "(Rule: correct_dwi)" in line
            found = re.search(r"(\d+) of (\d+) steps", line)
            done = int(found[1]) if found else done
            if corrected and (done >= after_jobs or re.match(r"\s*(local)?rule warp_dti_to_template:", line)):
                os.killpg(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.stderr.close()
        proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"the run ended (exit {proc.returncode}) before {after_jobs} jobs"
    return done


def resume_on_slurm(work, cluster) -> None:
    """The rest of the run through the SLURM profile; every submitted job must complete, and a
    subject's chain must go as one SLURM job (group "subject")."""
    # Without an accounting daemon sacct cannot answer: poll squeue (see the profile's comment).
    # --cores 1: one core per SLURM job, so two subjects' jobs share the 2-core node; with --cores 2
    # a subject's job holds both cores through its one-core registration chain (2.2 x the time).
    proc = snakemake(work, "--profile", "profiles/slurm", "--cores", "1", "--rerun-incomplete", *MTIME_ONLY,
                     "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
                     "--seconds-between-status-checks", "5", "--slurm-keep-successful-logs", env=cluster.env,
                     timeout=RESUME_TIMEOUT_S)
    log = proc.stdout + proc.stderr
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert submitted, log[-3000:]
    # SLURM's own record of those jobs (MinJobAge keeps them visible), all completed.
    states = dict(line.split() for line in cluster.run("squeue", "-t", "all", "-h", "-o", "%i %T").splitlines())
    assert set(submitted) <= set(states), (submitted, states)
    assert {states[j] for j in submitted} == {"COMPLETED"}, states
    planned = int(re.findall(r"\d+ of (\d+) steps", log)[-1])
    print(f"resumed on SLURM: {planned} jobs in {len(submitted)} sbatch submissions")
    assert len(submitted) < planned  # subjects' chains went as one submission each
    assert any("group_subject" in line for line in log.splitlines() if "submitted with SLURM" in line)


def test_killed_run_resumes_to_the_tables_and_images_of_an_uninterrupted_run(new_subjects_run, resume_start,
                                                                              cluster):
    work = resume_start
    held_back_arrive(work)
    break_new_subjects(work / "bids")
    before = digests(work / "bids")
    seed = random.SystemRandom().randrange(1_000_000)
    # 10 to 60 of the ~75 jobs, after the new DWI subject's correction (at 2 threads) and before its
    # last registration (run_until_killed), so the SLURM part has a subject's chain to submit.
    after_jobs = random.Random(seed).randint(10, 60)
    print(f"kill point: seed {seed}, after {after_jobs} finished jobs")

    def corrections():
        return {p.name for p in (work / "results" / "benchmarks" / "correct_dwi").glob("*.tsv")}

    first = corrections()
    killed_at = run_until_killed(work, after_jobs)
    incomplete = [p for p in (work / ".snakemake" / "incomplete").rglob("*") if p.is_file()]
    print(f"killed after {killed_at} jobs ({len(corrections() - first)} DWI correction(s) at 2 threads); "
          f"{len(incomplete)} job(s) left incomplete")
    assert corrections() - first
    snakemake(work, "--unlock")
    if cluster is None:
        snakemake(work, "--cores", "2", "--rerun-incomplete", *MTIME_ONLY)
    else:
        resume_on_slurm(work, cluster)
    assert digests(work / "bids") == before, "the workflow wrote into the input dataset"
    resumed = output_tables(work, copied_from=new_subjects_run.work)
    assert sorted(resumed) == sorted(new_subjects_run.tables)
    assert [name for name, table in new_subjects_run.tables.items() if resumed[name] != table] == []
    mine = output_images(work)
    assert sorted(mine) == sorted(new_subjects_run.images)
    assert [name for name, digest in new_subjects_run.images.items() if mine[name] != digest] == []


def test_a_quote_in_the_working_directory_stops_a_slurm_run_before_any_job(cluster, tiny_bids, tmp_path):
    """The SLURM executor cannot take a quote in the working directory (see the docstring above):
    the workflow says so before submitting anything, instead of every job failing in SLURM."""
    if cluster is None:
        pytest.skip("no local SLURM")
    work = tmp_path / "it's here"
    work.mkdir()
    (work / "config.yaml").write_text(f"bids_dir: {json.dumps(str(tiny_bids))}\n"
                                      f"output_dir: {json.dumps(str(work / 'results'))}\n")
    proc = snakemake(work, "--profile", "profiles/slurm", "--cores", "1", "--slurm-status-command", "squeue",
                     check=False, env=cluster.env, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"working directory {work} has a quote in its path" in log, log[-3000:]
    assert "move it to a path without ' or \" (spaces are fine)" in log
    assert "submitted with SLURM" not in log
