"""The tiny trial through `--profile profiles/slurm` on a real one-node SLURM (tests/localslurm.py):
every job goes through sbatch, and every table equals the local run's."""

import json
import os
import re

import pytest
from conftest import snakemake, held_back_copy, output_tables

import localslurm

pytestmark = pytest.mark.workflow
SLURM_RUN_TIMEOUT_S = 2700  # a stuck queue fails the test instead of holding CI


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = localslurm.unavailable()
    if reason:
        pytest.skip(f"no local SLURM: {reason}")
    running = localslurm.start(tmp_path_factory.mktemp("slurm"))
    yield running
    running.stop()
    assert not any(localslurm._alive(pid) for pid in running.started.values())


def test_tiny_trial_through_the_slurm_profile_equals_the_local_run(cluster, first_run, tiny_bids, tmp_path):
    held_back_copy(tiny_bids, tmp_path)
    # Without an accounting daemon sacct cannot answer: poll squeue (see the profile's comment).
    # --cores: at most the one node's CPUs per job (a subject's job would otherwise ask for the
    # cores of both sessions' steps at once and wait forever as "PartitionConfig").
    proc = snakemake(tmp_path, "--profile", "profiles/slurm", "--cores", os.cpu_count() or 1,
                     "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
                     "--seconds-between-status-checks", "5", "--slurm-keep-successful-logs", env=cluster.env,
                     timeout=SLURM_RUN_TIMEOUT_S)
    log = proc.stdout + proc.stderr
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert submitted, log[-3000:]
    # SLURM's own record of those jobs (MinJobAge keeps them visible), all completed.
    states = dict(line.split() for line in cluster.run("squeue", "-t", "all", "-h", "-o", "%i %T").splitlines())
    assert set(submitted) <= set(states), (submitted, states)
    assert {states[j] for j in submitted} == {"COMPLETED"}, states
    # A subject's chain ran as one SLURM job (group "subject"), so fewer submissions than jobs.
    planned = int(re.findall(r"\d+ of (\d+) steps", log)[-1])  # after the input checks' checkpoint
    assert len(submitted) < planned - 1
    print(f"{planned} jobs in {len(submitted)} sbatch submissions")
    assert any("group_subject" in line for line in log.splitlines() if "submitted with SLURM" in line)
    local = json.loads((first_run / "tables.json").read_text())
    remote = output_tables(tmp_path)
    assert sorted(remote) == sorted(local)
    different = [name for name in local if remote[name] != local[name]]
    assert not different, different
