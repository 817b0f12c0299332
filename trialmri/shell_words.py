"""Command lines for Snakemake ``shell:`` rules: every word shell-quoted, except Snakemake
placeholders (``{input.bold}``, ``{params.prefix:q}``) made of safe characters, which stay as typed
so Snakemake fills them in."""

from __future__ import annotations

import re
import shlex

PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.\[\]]*(?::q)?\}")
_SAFE = re.compile(r"[\w@%+=:,./{}\[\]-]+")


def join_words(argv: list[str]) -> str:
    """Shell words: Snakemake placeholders (and only safe characters) as typed, the rest shlex-quoted."""
    return " ".join(a if PLACEHOLDER.search(a) and _SAFE.fullmatch(a) else shlex.quote(a) for a in argv)
