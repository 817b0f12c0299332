"""The error a bad input raises: its message names the file or option and says how to fix it.

:class:`InputError` is a ``ValueError``, so code that already catches ``ValueError`` keeps working;
the programs (``trialmri.cli``) print it as one line and exit with status 2.
"""


class InputError(ValueError):
    """A bad input: the message names the file or option, what is wrong and the fix."""
