"""The error a bad input raises: its message names the file or option and says how to fix it.

:class:`InputError` is a ``ValueError``, so code that already catches ``ValueError`` keeps working;
the programs (``trialmri.cli``) print it as one line and exit with status 2.
"""


from pathlib import Path


class InputError(ValueError):
    """A bad input: the message names the file or option, what is wrong and the fix."""


def existing_file(path, what: str, expected: str) -> Path:
    """``path`` as a Path if it is a file; else an :class:`InputError` naming ``what`` (the option)
    and the file, and saying what was ``expected`` there (e.g. "a .nii or .nii.gz file")."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} {path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{what} {path}: is a folder, not a file; give {expected}")
    return path
