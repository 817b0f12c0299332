"""The schema fills defaults and rejects bad configs with one message naming key, value, allowed."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = str(ROOT / "config" / "schema.yaml")


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_shipped_configs_are_valid_and_demo_gets_every_default():
    full = load("config.yaml")
    validate(copy.deepcopy(full), SCHEMA)
    demo = load("demo.yaml")
    validate(demo, SCHEMA, set_default=True)
    assert demo["dti"]["engines"]["tensor"] == "native"
    assert demo["rsfmri"]["sessions"] == {"active": "ketamine", "placebo": "placebo"}
    assert demo["containers"]["fsl"].startswith("docker://")
    # config.yaml restates the schema defaults: a demo filled with defaults equals it but for paths.
    for key in ("phenotype", "dti", "rsfmri", "containers", "resources"):
        assert demo[key] == full[key], key


@pytest.mark.parametrize("change, words", [
    (lambda c: c["dti"]["engines"].update(tensor="dipy"), ["dipy", "native", "fsl"]),
    (lambda c: c["containers"].update(fsl="docker://brainlife/fsl:latest"), ["fsl", "latest"]),
    (lambda c: c.update(participant_label=["01_x"]), ["01_x", "participant_label"]),
    (lambda c: c.update(bids_dirr="x"), ["bids_dirr"]),
    (lambda c: c["rsfmri"].update(task=""), ["task"]),
])
def test_bad_config_is_rejected_naming_key_and_value(change, words):
    config = load("config.yaml")
    change(config)
    with pytest.raises(WorkflowError) as err:
        validate(config, SCHEMA)
    message = str(err.value)
    for word in words:
        assert word in message, (word, message)


def test_bids_dir_is_required():
    with pytest.raises(WorkflowError, match="bids_dir"):
        validate({}, SCHEMA)
