"""Tables a program reads (TSV), checked: present, a file, text, tab-separated.

Every problem raises :class:`trialmri.errors.InputError` naming the option and the file: a NIfTI
or a spreadsheet passed where a table belongs fails here with the fix, not as a decode error.
"""

from __future__ import annotations

import pandas as pd

from trialmri.errors import InputError, existing_file


def read_table(path, what: str, **read_csv) -> pd.DataFrame:
    """The tab-separated table at ``path`` (``what``: the option, e.g. ``--table``), read with
    ``pandas.read_csv(sep="\\t", **read_csv)``."""
    path = existing_file(path, what, "a tab-separated table (.tsv)")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
        head.decode("utf-8")
    except UnicodeDecodeError:
        head = b"\0"
    if b"\0" in head or head[:2] == b"\x1f\x8b":
        raise InputError(f"{what} {path}: a binary file, not a table; give a tab-separated text table (.tsv)")
    try:
        return pd.read_csv(path, sep="\t", **read_csv)
    except pd.errors.EmptyDataError:
        raise InputError(f"{what} {path}: empty file; give a tab-separated table with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{what} {path}: not a readable tab-separated table ({str(err).splitlines()[0]})") from None
