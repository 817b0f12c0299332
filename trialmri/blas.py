"""BLAS on one thread in every trialmri program and workflow job: thread counts never change results.

A multi-threaded BLAS splits a long dot product (``ddot``, ``dgemv``) into one partial sum per
thread, so its rounding, and everything downstream of it, depends on the thread count: the native
susceptibility fit (L-BFGS-B's dot products over every voxel of the field) gave a different field
at OPENBLAS_NUM_THREADS=1 and 2. Snakemake sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and the like
to each job's ``threads``, so a rerun with other ``--set-threads`` or ``--cores`` changed the bytes.

trialmri's parallelism is explicit and order-fixed instead: FFT ``workers`` (``clustsim``), one
process per job (Snakemake), one ITK thread in ANTs (:mod:`trialmri.dwi.registration`).
"""

from __future__ import annotations

import os

# the variables Snakemake sets per job, read by OpenBLAS, MKL, OpenMP, Accelerate and numexpr when
# they load: a child process started by a program starts with one thread too
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def use_one_blas_thread() -> None:
    """Set every BLAS loaded in this process (numpy's and scipy's) and every child to one thread.

    scipy ships its own OpenBLAS; it is loaded here, so that a later ``import scipy.optimize``
    finds it already limited (threadpoolctl limits only the libraries loaded when it is called).
    """
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    import numpy  # noqa: F401  (loads numpy's BLAS)
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
