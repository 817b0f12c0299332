"""Winsorizing: pull extreme values in to a boundary instead of dropping them.

Two methods (config ``dti.statistics.winsorize``):

- ``sd``: boundaries mean ± k·SD of the finite values (SD with n − 1, as SPSS Descriptives),
  e.g. k = 3;
- ``percentile``: boundaries the ``lower`` and ``upper`` percentiles of the finite values
  (linear interpolation between order statistics, R's type 7 / numpy's default).

Values beyond a boundary are set to it; values on or inside are unchanged; NaN stays NaN. With
fewer than two finite values, or all values equal, nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("sd", "percentile")


@dataclass(frozen=True)
class Winsorized:
    """Result of :func:`winsorize`: new values, the boundaries and how many values each moved."""

    values: np.ndarray
    low: float
    high: float
    n_low: int
    n_high: int

    @property
    def n_changed(self) -> int:
        return self.n_low + self.n_high


def winsorize(values, method: str = "sd", k: float = 3.0, lower: float = 5.0,
              upper: float = 95.0) -> Winsorized:
    """Winsorize ``values`` (1-D) by ``method``; see the module docstring.

    Parameters
    ----------
    values : array-like of float, NaN allowed (left as NaN, not counted).
    method : ``"sd"`` or ``"percentile"``.
    k : number of SDs for ``sd`` (> 0).
    lower, upper : percentiles in [0, 100] for ``percentile``, lower < upper.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"winsorize takes a 1-D column, got shape {x.shape}")
    finite = x[np.isfinite(x)]
    if method == "sd":
        if not k > 0:
            raise ValueError(f"winsorize method sd needs k > 0, got {k}")
        if finite.size < 2:
            return Winsorized(x.copy(), np.nan, np.nan, 0, 0)
        centre, spread = finite.mean(), finite.std(ddof=1)
        low, high = centre - k * spread, centre + k * spread
    elif method == "percentile":
        if not 0 <= lower < upper <= 100:
            raise ValueError(f"winsorize method percentile needs 0 <= lower < upper <= 100, "
                             f"got lower={lower}, upper={upper}")
        if finite.size < 2:
            return Winsorized(x.copy(), np.nan, np.nan, 0, 0)
        low, high = np.percentile(finite, [lower, upper])
    else:
        raise ValueError(f"unknown Winsorizing method {method!r}; choose one of {METHODS}")
    below, above = x < low, x > high  # NaN compares False: untouched
    out = np.where(below, low, np.where(above, high, x))
    return Winsorized(out, float(low), float(high), int(below.sum()), int(above.sum()))
