# Config validation, BIDS discovery and path helpers. Nothing here runs a job.
from pathlib import Path

from snakemake.utils import validate

from trialmri.bids.discovery import discover
from trialmri.bids.naming import bids_path
from trialmri.bids.phenotype import sessions_tables
from trialmri.inventory import inventory_status

validate(config, schema="../config/schema.yaml", set_default=True)

OUT = Path(config["output_dir"])
BIDS = Path(config["bids_dir"])
DTI, RS = config["dti"], config["rsfmri"]

INVENTORY = discover(
    BIDS,
    config["fmriprep_dir"],
    dti_sessions=(DTI["sessions"]["pre"], DTI["sessions"]["post"]),
    pe_dirs=tuple(DTI["phase_encoding_dirs"]),
    dti_groups=(DTI["groups"]["treatment"], DTI["groups"]["control"]),
    rs_sessions=(RS["sessions"]["active"], RS["sessions"]["placebo"]),
    rs_groups=(RS["groups"]["patient"], RS["groups"]["control"]),
    task=RS["task"],
    space=RS["space"],
    group_column=config["phenotype"]["participants"]["group"],
    participant_label=config["participant_label"],
    exclude_participant_label=config["exclude_participant_label"],
)
SUBJECTS = INVENTORY.subjects


wildcard_constraints:
    subject="[A-Za-z0-9]+",
    session="[A-Za-z0-9]+",


def deriv(relative):
    """A path inside the derivatives root (config output_dir)."""
    return str(OUT / relative)


def subject_file(suffix, ext, datatype=None, **entities):
    """A BIDS-named derivative of one subject: output_dir/sub-{subject}/[ses-.../]name."""
    return deriv(bids_path(suffix, ext, datatype=datatype, sub="{subject}", **entities))


def logs(rule, name):
    """The log file of one job: output_dir/logs/<rule>/<name>.log."""
    return str(OUT / "logs" / rule / f"{name}.log")


def subject_inputs(wildcards):
    """Every raw input file of a subject, by role (tracked so a changed file reruns its checks)."""
    return INVENTORY.subject_files(wildcards.subject)


def participants_table():
    path = BIDS / "participants.tsv"
    return [str(path)] if path.exists() else []


def subject_sessions_tables():
    """The sessions tables of the analysed subjects (phenotype per session)."""
    return sessions_tables(BIDS, SUBJECTS)
