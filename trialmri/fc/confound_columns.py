"""fMRIPrep confound columns that a table lacks, computed as fMRIPrep computes them.

Older or pruned ``*_desc-confounds_timeseries.tsv`` may lack the expansion columns or DVARS. Only
columns a strategy needs and the table lacks are computed; present ones are never touched.

- ``X_derivative1``: backward difference ``X[t] - X[t-1]``, first row n/a; ``X_power2``: ``X**2``;
  ``X_derivative1_power2``: ``X_derivative1**2`` (n/a first). As niworkflows'
  ``temporal_derivatives`` / ``exponential_terms`` (niworkflows/interfaces/confounds.py), applied
  by fMRIPrep's ``ExpandModel('(dd1(rps + wm + csf + gsr))^^2 + others')``
  (fmriprep/workflows/bold/confounds.py). Units: those of X (derivative per volume), squared.
- ``dvars``, ``std_dvars``: nipype's ``compute_dvars`` (nipype/algorithms/confounds.py) with the
  options of fMRIPrep's ``ComputeDVARS(save_nstd=True, save_std=True, remove_zerovariance=True)``
  (variance_tol 1e-7, intensity_normalization 1000: the in-mask median scaled to 1000, so ``dvars``
  is in tenths of a percent of it); fMRIPrep puts n/a in the first row. ``std_dvars`` is unitless:
  DVARS over its expectation under stationarity, the mean over voxels of sqrt(2 (1 - AR1)) x
  robust SD (IQR / 1.349, percentiles with "lower" interpolation, as FSL). Computed here from the
  BOLD this pipeline reads (fMRIPrep uses its BOLD in native space), so values differ a little.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

DVARS_COLUMNS = ("dvars", "std_dvars")
DVARS_HOW = ("nipype compute_dvars (remove_zerovariance, variance_tol 1e-7, intensity_normalization 1000, "
             "as fMRIPrep's ComputeDVARS) of the preprocessed BOLD in the denoising brain mask; first row n/a")
VARIANCE_TOL = 1e-7  # nipype ComputeDVARS' default, which fMRIPrep keeps
INTENSITY_NORMALIZATION = 1000.0


class MissingConfounds(ValueError):
    """Columns needed that are neither in the table nor computable from it (``columns``)."""

    def __init__(self, columns: list[str]):
        super().__init__(", ".join(columns))
        self.columns = columns


def _split(column: str) -> tuple[str, str]:
    """(base, expansion) of an fMRIPrep column: ``trans_x_derivative1_power2`` -> (trans_x, derivative1_power2)."""
    for suffix in ("_derivative1_power2", "_derivative1", "_power2"):
        if column.endswith(suffix):
            return column[: -len(suffix)], suffix[1:]
    return column, ""


def plan(columns, needed, from_bold: bool) -> tuple[dict[str, str], list[str]]:
    """What to compute for a table with ``columns``: ({column: how}, [columns that cannot be]).

    ``from_bold``: the BOLD and its brain mask are at hand (for DVARS).
    """
    have = set(columns)
    how, missing = {}, []
    for col in needed:
        if col in have:
            continue
        base, kind = _split(col)
        if col in DVARS_COLUMNS and from_bold:
            how[col] = DVARS_HOW
        elif kind and (base in have or kind == "derivative1_power2" and f"{base}_derivative1" in have):
            diff = f"backward difference of {base}, first row n/a"
            how[col] = {"derivative1": diff, "power2": f"square of {base}",
                        "derivative1_power2": f"square of {base}_derivative1"
                        + ("" if f"{base}_derivative1" in have else f" ({diff})")}[kind]
        else:
            missing.append(col)
    return how, missing


def derivative1(x: np.ndarray) -> np.ndarray:
    """Backward difference, first value NaN (niworkflows ``temporal_derivatives``, order 1)."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([[np.nan], np.diff(x)]) if x.size else x


def expansion(table: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` (``X_derivative1``, ``X_power2``, ``X_derivative1_power2``) from ``X`` in ``table``;
    a present ``X_derivative1`` is the one squared."""
    base, kind = _split(column)
    if kind == "power2":
        return table[base].to_numpy(dtype=np.float64) ** 2
    deriv = (table[f"{base}_derivative1"].to_numpy(dtype=np.float64) if f"{base}_derivative1" in table
             else derivative1(table[base]))
    return deriv**2 if kind == "derivative1_power2" else deriv


def dvars(series: np.ndarray, chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """(dvars, std_dvars) of in-brain BOLD series (n_volumes, n_voxels), each n_volumes long, first NaN.

    nipype ``compute_dvars`` with ``remove_zerovariance=True`` (voxels whose robust SD after
    normalisation is <= 1e-7 dropped); AR(1) by Yule-Walker (nitime ``AR_est_YW``: lag-1 over
    lag-0 autocovariance of the demeaned series). Vectorised over blocks of ``chunk`` voxels.
    """
    x = np.asarray(series, dtype=np.float32)
    n_t = x.shape[0]
    if n_t < 2:
        raise ValueError(f"DVARS needs at least 2 volumes, got {n_t}")
    median = np.median(x)
    sq_diff = np.zeros(n_t - 1)
    sdhat_sum, n_kept = 0.0, 0
    for start in range(0, x.shape[1], chunk):
        block = (x[:, start:start + chunk] / median) * np.float32(INTENSITY_NORMALIZATION)  # as nipype, float32
        q25, q75 = np.percentile(block, [25, 75], axis=0, method="lower")
        sd = (q75 - q25) / 1.349
        keep = sd > VARIANCE_TOL
        block, sd = block[:, keep].astype(np.float64), sd[keep].astype(np.float64)
        centred = block - block.mean(axis=0)
        ar1 = np.einsum("tv,tv->v", centred[1:], centred[:-1]) / np.einsum("tv,tv->v", centred, centred)
        sdhat_sum += float((np.sqrt(2 * (1 - ar1)) * sd).sum())
        diff = np.diff(block, axis=0)
        sq_diff += np.einsum("tv,tv->t", diff, diff)
        n_kept += int(keep.sum())
    if n_kept == 0:
        raise ValueError("DVARS: every in-mask voxel is constant")
    raw = np.sqrt(sq_diff / n_kept)
    nan = np.array([np.nan])
    return np.concatenate([nan, raw]), np.concatenate([nan, raw / (sdhat_sum / n_kept)])


def complete(table: pd.DataFrame, needed, bold_series: Callable[[], np.ndarray] | None = None
             ) -> tuple[pd.DataFrame, dict[str, str]]:
    """``table`` with the ``needed`` columns it lacks added, and {column: how} of those.

    ``bold_series()`` gives the in-mask BOLD (n_volumes, n_voxels) for DVARS; it is called only
    when a DVARS column is to be computed. Raises :class:`MissingConfounds` (before computing
    anything) when a needed column cannot be computed.
    """
    how, missing = plan(table.columns, needed, bold_series is not None)
    if missing:
        raise MissingConfounds(missing)
    if not how:
        return table, {}
    out = table.copy()
    if any(c in how for c in DVARS_COLUMNS):
        series = bold_series()
        if series.shape[0] != len(table):
            raise ValueError(f"confounds table has {len(table)} rows but the BOLD has {series.shape[0]} volumes")
        values = dict(zip(DVARS_COLUMNS, dvars(series)))
        for col in DVARS_COLUMNS:
            if col in how:
                out[col] = values[col]
    for col in how:
        if col not in DVARS_COLUMNS:
            out[col] = expansion(table, col)
    return out, how
