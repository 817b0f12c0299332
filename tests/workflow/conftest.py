"""Fixtures of the workflow tier: the tiny synthetic trial, written once per test session, and its
first complete run, which every later run of the tier starts from: new subjects (two with a broken
file) arrive in the first run's folder and the workflow runs again (the reference), and the same
arrive in a copy of the first run, where the run is killed and resumed on SLURM (test_resume)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from afni_dataset import AFNI_DIR, TEST_OVERLAY, afni_path, write_boxed_rsfmri
from foreign_dataset import foreign_config, write_foreign_dataset
from helpers import (BIN, ODD_FOLDER, ROOT, break_new_subjects, digests, held_back_arrive, held_back_copy,
                     output_images, output_tables, run, snakemake, write_config)


@pytest.fixture(scope="session")
def tiny_bids(tmp_path_factory) -> Path:
    """`trialmri synth --preset tiny --seed 7`, through the installed command line."""
    out = tmp_path_factory.mktemp("synth") / "bids"
    run([BIN / "trialmri", "synth", "--preset", "tiny", "--seed", "7", "--out", out])
    return out


@pytest.fixture(scope="session", autouse=True)
def foreign_started(request, tmp_path_factory):
    """The run on the foreign-layout dataset (test_foreign_dataset.py), started in the background as
    soon as the tier starts when that module is collected: it runs beside the tier's other runs and
    fills the time they wait (SLURM, Chromium). ``(work, process, input digests)``; None otherwise.
    (At nice 19 it starved and the suite took longer.)"""
    if not any("test_foreign_dataset" in item.nodeid for item in request.session.items):
        yield None
        return
    tiny = request.getfixturevalue("tiny_bids")
    work = tmp_path_factory.mktemp("foreign")
    bids = write_foreign_dataset(tiny, work / "bids")
    write_config(work, bids, foreign_config())
    before = digests(bids)
    with open(work / "snakemake.log", "w") as log:
        proc = subprocess.Popen([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-d", str(work),
                                 "--configfile", str(work / "config.yaml"), "--cores", "2"],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    yield work, proc, before
    if proc.poll() is None:
        proc.terminate()
        proc.wait()


@pytest.fixture(scope="session", autouse=True)
def afni_started(request, tmp_path_factory):
    """The study rsfMRI preset (config/study-rsfmri.yaml: AFNI engines) on the tiny trial's rsfMRI
    arm with real AFNI (test_afni_engines.py), its analysis mask cut to boxes (afni_dataset.py),
    started in the background when the tier starts, as the foreign-layout run is. ``(work, process,
    PATH)``; None when that module is not collected or AFNI_DIR is absent (its tests skip)."""
    if not AFNI_DIR.is_dir() or not any("test_afni_engines" in item.nodeid for item in request.session.items):
        yield None
        return
    path = afni_path()
    work = tmp_path_factory.mktemp("afni")
    bids = write_boxed_rsfmri(request.getfixturevalue("tiny_bids"), work / "bids")
    write_config(work, bids, "")
    (work / "test.yaml").write_text(TEST_OVERLAY)
    with open(work / "snakemake.log", "w") as log:
        proc = subprocess.Popen([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-d", str(work),
                                 "--configfile", str(work / "config.yaml"), str(ROOT / "config" / "study-rsfmri.yaml"),
                                 str(work / "test.yaml"), "--cores", "2", "--notemp"],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PATH": path})
    yield work, proc, path
    if proc.poll() is None:
        proc.terminate()
        proc.wait()


@pytest.fixture(scope="session")
def first_run(tiny_bids, tmp_path_factory):
    """A complete local run on the tiny trial with two subjects' images held back, in a folder whose
    path has spaces and quotes (ODD_FOLDER): every path of the run reaches the shell and the scripts
    through the workflow's quoting."""
    work = tmp_path_factory.mktemp("workflow") / ODD_FOLDER
    work.mkdir()
    bids = held_back_copy(tiny_bids, work)
    before = digests(bids)
    snakemake(work, "--cores", "2")
    assert digests(bids) == before, "the workflow wrote into the input dataset"
    return work


@pytest.fixture(scope="session")
def resume_start(first_run, tmp_path_factory) -> Path:
    """A copy of the first run as it was, before the new subjects arrive (mtimes kept), in a folder
    with spaces but no quotes (the SLURM executor cannot take them, see test_resume), its config
    pointing at the copy: where the killed-and-resumed run (test_resume) starts."""
    work = tmp_path_factory.mktemp("resume") / "a resumed trial"
    shutil.copytree(first_run, work, symlinks=True)
    write_config(work)
    return work


@pytest.fixture(scope="session")
def arrived(first_run, resume_start) -> SimpleNamespace:
    """The first run's folder after the held-back subjects' files arrive with two faults
    (helpers.break_new_subjects), before any run on them; ``lme_before``: the VS LME's sidecar as the
    first run left it. Tests that use it run after every test that reads the first run as it was
    (pytest_collection_modifyitems below)."""
    lme = first_run / "results" / "group" / "rsfmri" / "space-MNI152NLin2009cAsym_roi-VS_desc-lme_stats.json"
    lme_before = json.loads(lme.read_text())
    held_back_arrive(first_run)
    dwi, bold = break_new_subjects(first_run / "bids")
    return SimpleNamespace(work=first_run, broken_dwi=dwi, broken_bold=bold, lme_before=lme_before)


@pytest.fixture(scope="session")
def new_subjects_run(arrived) -> SimpleNamespace:
    """The workflow run again, uninterrupted, on the first run's folder after the new subjects arrive
    (no --keep-going: the input checks decide what runs), with its tables and image digests as the
    run left them (the reference of test_resume)."""
    bids = arrived.work / "bids"
    before = digests(bids)
    snakemake(arrived.work, "--cores", "2")
    assert digests(bids) == before, "the workflow wrote into the input dataset"
    return SimpleNamespace(**vars(arrived), tables=output_tables(arrived.work), images=output_images(arrived.work))


def pytest_collection_modifyitems(config, items):
    """Tests that read the first run as it was first; then those of the new subjects' arrival
    before their run; then those of that run (a stable sort: each group in file order)."""
    stage = {item.nodeid: 2 if "new_subjects_run" in item.fixturenames else 1 if "arrived" in item.fixturenames else 0
             for item in items if Path(item.path).parent.name == "workflow"}
    items.sort(key=lambda item: stage.get(item.nodeid, 0))
