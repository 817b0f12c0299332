"""Every FSL/AFNI rule runs in the pinned image named in config; `snakemake -n --sdm apptainer` with
the fsl and afni engines plans those jobs with those images.

Apptainer cannot be installed here (not in Debian 12 or on PyPI), and a dry run asks it for nothing
but its version: a stand-in `apptainer` on PATH answers `--version` and fails on anything else,
recording every call, so the test also shows that planning pulls and runs nothing."""

import re

import yaml
from helpers import ROOT

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


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
    assert len(shell_rules) == 10, shell_rules  # afni_version too
    for image in CONFIG["containers"].values():
        assert re.fullmatch(r"docker://[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), image
