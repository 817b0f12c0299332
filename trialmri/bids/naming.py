"""BIDS file names from entities: the one helper every path in trialmri is built with.

>>> bids_name("dwi", ".nii.gz", sub="01", ses="pre", dir="AP")
'sub-01_ses-pre_dir-AP_dwi.nii.gz'
>>> bids_path("dwi", ".bval", sub="01", ses="pre", dir="AP", datatype="dwi")
'sub-01/ses-pre/dwi/sub-01_ses-pre_dir-AP_dwi.bval'
"""

from __future__ import annotations

import re

BIDS_VERSION = "1.10.0"  # version of the specification our files follow

# Entity order of the BIDS specification (appendix "Entity table"), plus derivative entities.
ENTITY_ORDER = ("sub", "ses", "task", "acq", "ce", "rec", "dir", "run", "mod", "echo", "space",
                "res", "den", "label", "seg", "roi", "hemi", "model", "param", "stat", "desc",
                "from", "to", "mode")
LONG_NAMES = {"subject": "sub", "session": "ses", "direction": "dir"}
LABEL = re.compile(r"^[A-Za-z0-9]+$")


def bids_name(suffix: str, ext: str = "", **entities) -> str:
    """``<key>-<value>_..._<suffix><ext>`` with entities in BIDS order; None values are dropped.

    Values may be Snakemake wildcards such as ``{subject}``; literal values must be
    alphanumeric, as BIDS labels are.
    """
    short = {LONG_NAMES.get(k, k): v for k, v in entities.items() if v is not None}
    unknown = set(short) - set(ENTITY_ORDER)
    if unknown:
        raise ValueError(f"unknown BIDS entities {sorted(unknown)}; known: {', '.join(ENTITY_ORDER)}")
    for key, value in short.items():
        text = str(value)
        if not (LABEL.match(text) or (text.startswith("{") and text.endswith("}"))):
            raise ValueError(f"BIDS label {key}-{text!r} must be alphanumeric (A-Z, a-z, 0-9)")
    parts = [f"{k}-{short[k]}" for k in ENTITY_ORDER if k in short]
    return "_".join(parts + [suffix]) + ext


def bids_path(suffix: str, ext: str = "", datatype: str | None = None, **entities) -> str:
    """Relative path ``sub-X[/ses-Y][/datatype]/<bids_name>`` for the given entities."""
    short = {LONG_NAMES.get(k, k): v for k, v in entities.items() if v is not None}
    folders = [f"sub-{short['sub']}"] if "sub" in short else []
    if "ses" in short and folders:
        folders.append(f"ses-{short['ses']}")
    if datatype and folders:
        folders.append(datatype)
    return "/".join(folders + [bids_name(suffix, ext, **short)])
