"""One session's confound regressors and censoring mask, loaded by nilearn's ``load_confounds``.

nilearn finds the ``*_desc-confounds_timeseries.tsv`` (and its JSON) beside the BOLD file by the
fMRIPrep naming, selects the columns the strategy names and returns the sample mask: indices of
the volumes kept after scrubbing and after dropping fMRIPrep's ``non_steady_state_outlier*``
volumes. Volumes are 0-based.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trialmri.fc.strategy import DenoiseStrategy
from trialmri.io import read_tsv


@dataclass
class SessionConfounds:
    confounds: pd.DataFrame          # regressors, one row per volume (all volumes)
    sample_mask: np.ndarray          # 0-based indices of kept volumes
    table: pd.DataFrame              # per volume: framewise_displacement (mm), std_dvars, kept

    @property
    def n_volumes(self) -> int:
        return len(self.table)

    @property
    def n_kept(self) -> int:
        return int(self.sample_mask.size)


def missing_columns(confounds_path, strategy: DenoiseStrategy) -> list[str]:
    """Columns the strategy needs that the confounds table lacks (header read only)."""
    header = pd.read_csv(confounds_path, sep="\t", nrows=0).columns
    return [c for c in strategy.confound_columns_needed if c not in header]


def load_session_confounds(bold_path, strategy: DenoiseStrategy) -> SessionConfounds:
    """Confounds and sample mask of the BOLD file ``bold_path`` under ``strategy``.

    Raises ValueError naming the confounds file when a column the strategy needs is missing.
    """
    from nilearn.interfaces.fmriprep import load_confounds

    bold_path = Path(bold_path)
    conf_path = confounds_path_for(bold_path)
    missing = missing_columns(conf_path, strategy)
    if missing:
        raise ValueError(f"{conf_path}: no column(s) {', '.join(missing)}, which the denoising strategy "
                         "(config rsfmri.denoise) needs; rerun fMRIPrep's confounds or change the strategy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-censored is reported below instead
        confounds, sample_mask = load_confounds(str(bold_path), **strategy.load_confounds_kwargs())
    raw = read_tsv(conf_path)
    n_vol = len(raw)
    kept = np.arange(n_vol) if sample_mask is None else np.asarray(sample_mask, dtype=int)
    flags = np.zeros(n_vol, dtype=bool)
    flags[kept] = True
    table = pd.DataFrame({"volume": np.arange(n_vol),
                          "framewise_displacement": raw.get("framewise_displacement", np.nan),
                          "std_dvars": raw.get("std_dvars", np.nan),
                          "kept": flags})
    return SessionConfounds(confounds=confounds, sample_mask=kept, table=table)


def confounds_path_for(bold_path) -> Path:
    """fMRIPrep's confounds table for a preprocessed BOLD file (space, res, desc dropped)."""
    name = Path(bold_path).name
    entities = [p for p in name.split("_")[:-1]
                if not p.startswith(("space-", "res-", "desc-", "den-", "cohort-"))]
    return Path(bold_path).with_name("_".join(entities + ["desc-confounds", "timeseries.tsv"]))


def too_few_volumes(session: SessionConfounds, strategy: DenoiseStrategy) -> str | None:
    """The exclusion reason when censoring leaves fewer than ``strategy.min_volumes``, else None."""
    if session.n_kept >= strategy.min_volumes:
        return None
    rules = [f"framewise displacement > {strategy.fd_threshold_mm} mm"] if strategy.fd_threshold_mm else []
    rules += [f"std DVARS > {strategy.std_dvars_threshold}"] if strategy.std_dvars_threshold else []
    rules += [f"kept segments < {strategy.min_segment} volumes"] if strategy.min_segment and rules else []
    return (f"{session.n_kept} of {session.n_volumes} volumes left after censoring ({', '.join(rules) or 'none'}"
            f" and fMRIPrep's non-steady-state volumes); at least {strategy.min_volumes} needed (config "
            "rsfmri.denoise.min_volumes)")
