"""Outputs that appear whole or not at all.

Every writer in the package opens its file through :func:`writing`, which hands out a hidden name
beside the final one (``.trialmri-<pid>-<name>``, same folder, same extension so nibabel and
matplotlib still see the format) and renames it into place once the file is complete: a killed
job never leaves a half-written file under the real name, and a failed write never replaces a
good file.

A program run wraps its work in :func:`all_or_nothing`: then every output is renamed into place
only when the whole program has succeeded; on any error (or SIGTERM, which the programs turn into
an exception) the hidden files are removed, and so are the folders the run created, so a failed
run leaves nothing behind and never overwrites earlier outputs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from trialmri.errors import InputError

_pending: list[tuple[Path, Path]] | None = None  # (hidden, final) while all_or_nothing runs
_made: list[Path] = []  # folders made during all_or_nothing, outermost first


def _make_folder(folder: Path) -> None:
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    if _pending is not None:
        _made.extend(reversed(missing))


def hidden_name(path) -> Path:
    """The temporary name a file is written under before it is renamed to ``path``."""
    path = Path(path)
    return path.with_name(f".trialmri-{os.getpid()}-{path.name}")


@contextlib.contextmanager
def writing(path):
    """Yield the hidden path to write ``path``'s content to; renamed into place when complete."""
    final = Path(path)
    _make_folder(final.parent)
    hidden = hidden_name(final)
    try:
        yield hidden
    except BaseException:
        hidden.unlink(missing_ok=True)
        raise
    if _pending is not None:
        _pending.append((hidden, final))
    else:
        os.replace(hidden, final)


def readable(path) -> Path:
    """Where ``path``, written earlier in this run, can be read now: its hidden name while
    :func:`all_or_nothing` holds it back, else ``path`` (a later step reads an earlier one's output)."""
    final = Path(path)
    for hidden, pending in _pending or ():
        if pending == final:
            return hidden
    return final


@contextlib.contextmanager
def all_or_nothing():
    """Hold every output written inside until the block succeeds; on failure remove them all."""
    global _pending
    _pending, _made[:] = [], []
    try:
        yield
    except BaseException:
        for hidden, _ in _pending:
            hidden.unlink(missing_ok=True)
        for folder in reversed(_made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: never a folder that holds anything else
        raise
    else:
        try:
            for _, final in _pending:  # a folder in an output's place: fail before any rename
                if final.is_dir():
                    raise IsADirectoryError(f"{final} is a folder; an output of this name cannot be written "
                                            "(move the folder or choose another output name)")
        except BaseException:
            for hidden, _ in _pending:
                hidden.unlink(missing_ok=True)
            raise
        for hidden, final in _pending:
            os.replace(hidden, final)
    finally:
        _pending = None
        _made[:] = []


def check_writable(folder, option: str) -> Path:
    """Make ``folder`` if needed and prove a file can be written there, before any computation."""
    folder = Path(folder or ".")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{option}: {folder} is a file, not a folder; give a path in a folder")
    try:
        _make_folder(folder)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".trialmri-probe-"):
            pass
    except OSError as err:
        raise InputError(f"{option}: cannot write in {folder} ({err.strerror or err}); choose a folder you "
                         "can write to") from None
    return folder
