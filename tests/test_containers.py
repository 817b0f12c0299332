"""Every FSL/AFNI rule runs in the pinned image named in config; `snakemake -n --sdm apptainer` with
the fsl and afni engines plans those jobs with those images.

Apptainer cannot be installed here (not in Debian 12 or on PyPI), and a dry run asks it for nothing
but its version: a stand-in `apptainer` on PATH answers `--version` and fails on anything else,
recording every call, so the test also shows that planning pulls and runs nothing."""

import json
import re
import shlex

import pytest
import yaml
from conftest import ROOT, dry_run

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
ALL_STUDY_ENGINES = ("dti:\n  engines: {topup: fsl, eddy: fsl, registration: fsl, tensor: fsl}\n"
                     "rsfmri:\n  engines: {netcorr: afni, lme: afni, fwhmx: afni, clustsim: afni}\n"
                     "  clusters: {iterations: 1000}\n")


@pytest.fixture
def apptainer_stand_in(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "apptainer_calls.txt"
    script = folder / "apptainer"
    script.write_text(f"""#!/bin/sh
echo "$@" >> "{calls}"
if [ "$1" = "--version" ]; then echo "apptainer version 1.3.4"; exit 0; fi
echo "stand-in apptainer: only --version is answered (a dry run needs nothing else)" >&2; exit 1
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{__import__('os').environ['PATH']}")
    return calls


def test_every_shell_rule_runs_in_a_pinned_image_from_config():
    """The FSL/AFNI commands are the only shell: rules; each names config's fsl or afni image."""
    shell_rules = []
    for path in (ROOT / "rules").glob("*.smk"):
        parts = re.split(r"(?m)^ *rule (\w+):\n", path.read_text())
        for name, body in zip(parts[1::2], parts[2::2]):
            if re.search(r"\n +shell:", body):
                image = re.search(r"container:\n\s+(.+)", body)
                assert image, f"rule {name} ({path.name}) runs a shell command without a container"
                assert re.fullmatch(r'config\["containers"\]\["(fsl|afni)"\]', image[1].strip()), (name, image[1])
                shell_rules.append(name)
    assert len(shell_rules) == 9, shell_rules
    for image in CONFIG["containers"].values():
        assert re.fullmatch(r"docker://[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), image


def test_dry_run_with_apptainer_plans_the_fsl_and_afni_jobs_in_their_images(tiny_bids, tmp_path, apptainer_stand_in):
    out, counts = dry_run(tiny_bids, tmp_path, ALL_STUDY_ENGINES, "--sdm", "apptainer")
    for engine in ("fsl", "afni"):
        assert f"Singularity image {CONFIG['containers'][engine]} will be pulled." in out, engine
    for rule in ("prepare_fsl_corrections", "correct_dwi", "fit_tensor", "register_fa_to_template",
                 "run_3dnetcorr", "run_3dlme", "run_3dfwhmx", "run_3dclustsim"):
        assert int(counts.get(rule, 0)) > 0, (rule, counts)
    assert not any(rule in counts for rule in ("register_t1w_to_template",)), counts  # native-only rule
    assert apptainer_stand_in.read_text().split("\n")[:-1] == ["--version"] * len(
        apptainer_stand_in.read_text().split("\n")[:-1]), "the dry run asked apptainer for more than its version"


def json_strings(value):
    """Every string inside a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)


@pytest.mark.workflow
def test_paths_with_spaces_and_quotes_reach_every_fsl_and_afni_command_as_one_word(tiny_bids, tmp_path):
    """Every shell command the study engines would run, for a dataset and an output folder whose
    paths hold spaces and both quotes: parsed as the shell parses words, each path is one whole word
    (Snakemake fills the placeholders shell-quoted), and no fragment of those names stands alone."""
    bids = tmp_path / 'my "study" it\'s'
    bids.symlink_to(tiny_bids, target_is_directory=True)
    work = tmp_path / "out dir 'x' \"y\""
    work.mkdir()
    out, counts = dry_run(bids, work, ALL_STUDY_ENGINES)
    commands = [line.split("Shell command: ", 1)[1] for line in out.splitlines() if "Shell command: " in line]
    programs = {"dtifit", "flirt", "fsl_reg", "applywarp", "fslmerge", "topup", "eddy", "mcflirt", "3dNetCorr",
                "3dLME", "3dFWHMx", "3dClustSim"}
    assert programs <= {w for c in commands for w in re.findall(r"[\w-]+", c)}, "a study program was not planned"
    whole = (str(bids), str(work))
    checked = 0
    for command in commands:
        for word in shlex.split(command):
            if word.startswith("{"):  # a sidecar's JSON text, echoed: one word if it parses
                paths = [v for v in json_strings(json.loads(word)) if str(tmp_path) in v]
                assert paths and all(any(name in v for name in whole) for v in paths), word
                continue
            if str(tmp_path) in word:
                assert any(name in word for name in whole), (word, command)
                checked += 1
            else:
                assert not re.search(r"study|it's|dir 'x'|\"y\"", word), (word, command)
    assert checked > 1000
