"""Send a job's output and any traceback to its log file (used by the workflow's scripts)."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from pathlib import Path

from trialmri.blas import use_one_blas_thread


@contextlib.contextmanager
def log_to(path):
    """Redirect stdout, stderr and ``logging`` to ``path`` for the duration; a failure is logged
    with its traceback and re-raised so the job fails.

    Every workflow script enters here, so this is also where a job's BLAS is set to one thread
    (:mod:`trialmri.blas`): the job's ``threads`` must not change its numbers.
    """
    use_one_blas_thread()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        handler = logging.StreamHandler(log)
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
        try:
            yield log
        except BaseException:
            traceback.print_exc(file=log)
            raise
        finally:
            logging.getLogger().removeHandler(handler)
            sys.stdout.flush()
