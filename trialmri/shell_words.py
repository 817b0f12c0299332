"""Command lines for Snakemake ``shell:`` rules, safe for any path: every word shell-quoted.

A word holding Snakemake placeholders (``{input.bold}``, ``--out={params.work}_topup``) keeps them
for Snakemake to fill, each made ``:q`` so Snakemake shell-quotes the value it puts there (a path
with spaces or quotes stays one word); ``$FSLDIR/...`` stays unquoted so the container's shell
expands it. Anything else is ``shlex``-quoted here.
"""

from __future__ import annotations

import re
import shlex

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.\[\]]*)(?::q)?\}")
_SAFE = re.compile(r"[\w@%+=:,./{}\[\]-]+")
_FSLDIR = re.compile(r"(--?[\w-]+=)?\$FSLDIR/[\w./-]*")


def quoted_placeholders(word: str) -> str:
    """``word`` with every Snakemake placeholder in its ``:q`` (shell-quoted) form."""
    return PLACEHOLDER.sub(lambda m: "{" + m[1] + ":q}", word)


def shell_word(word: str) -> str:
    """One word for the shell: placeholders kept (``:q``), ``$FSLDIR`` paths kept, else shlex-quoted."""
    if PLACEHOLDER.search(word) and _SAFE.fullmatch(word):
        return quoted_placeholders(word)
    if _FSLDIR.fullmatch(word):
        return word
    return shlex.quote(word)


def join_words(argv: list[str]) -> str:
    """A command line: each of ``argv`` as :func:`shell_word` makes it."""
    return " ".join(shell_word(str(a)) for a in argv)
