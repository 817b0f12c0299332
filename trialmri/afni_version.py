"""The AFNI version the AFNI engine ran: a shell command that records it (run where the AFNI
programs run, e.g. in the AFNI container) and its reader. Every AFNI program prints
``AFNI version=AFNI_26.2.03`` on stderr; 3dinfo does so when it reads a dataset, here AFNI's built-in
random dataset (nothing is read from disk)."""

from __future__ import annotations

import re
from pathlib import Path

VERSION_PATTERN = r"AFNI_[0-9]+\.[0-9]+\.[0-9]+"


def version_command(out: str) -> str:
    """Shell command writing the version (one line, e.g. ``AFNI_26.2.03``) to ``out``; fails if
    none is printed. ``out`` is used as given (a quoted Snakemake placeholder, say)."""
    return (f"3dinfo -verb jRandomDataset:2,2,2,1 2>&1 | grep -o -E '{VERSION_PATTERN}' | sort -u > {out}"
            f" && test -s {out}")


def read_version(path) -> str:
    """The version written by ``version_command`` (e.g. ``AFNI_26.2.03``)."""
    text = Path(path).read_text().split()
    if len(text) != 1 or not re.fullmatch(VERSION_PATTERN, text[0]):
        raise ValueError(f"{path}: expected one AFNI version such as AFNI_26.2.03, found {' '.join(text)!r}")
    return text[0]
