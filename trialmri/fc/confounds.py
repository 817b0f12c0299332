"""One session's confound regressors and censoring mask, loaded by nilearn's ``load_confounds``.

nilearn finds the ``*_desc-confounds_timeseries.tsv`` (and its JSON) beside the BOLD file by the
fMRIPrep naming, selects the columns the strategy names and returns the sample mask: indices of
the volumes kept after scrubbing and after dropping fMRIPrep's ``non_steady_state_outlier*``
volumes. Volumes are 0-based. Columns the strategy needs that an older or pruned table lacks are
computed first (:mod:`trialmri.fc.confound_columns`) and handed to nilearn in a copy of the table.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from trialmri.fc import confound_columns
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.tables import read_tsv, write_tsv


@dataclass
class SessionConfounds:
    confounds: pd.DataFrame          # regressors, one row per volume (all volumes)
    sample_mask: np.ndarray          # 0-based indices of kept volumes
    table: pd.DataFrame              # per volume: framewise_displacement (mm), std_dvars, kept
    computed: dict[str, str] = field(default_factory=dict)  # column -> how trialmri computed it

    @property
    def n_volumes(self) -> int:
        return len(self.table)

    @property
    def n_kept(self) -> int:
        return int(self.sample_mask.size)


def column_plan(confounds_path, strategy: DenoiseStrategy, from_bold: bool = True
                ) -> tuple[dict[str, str], list[str]]:
    """({column: how} that trialmri will compute, [columns it cannot]) among those the strategy
    needs and the table lacks (header read only); ``from_bold``: the BOLD is at hand for DVARS."""
    header = pd.read_csv(confounds_path, sep="\t", nrows=0).columns
    return confound_columns.plan(header, strategy.confound_columns_needed, from_bold)


def load_session_confounds(bold_path, strategy: DenoiseStrategy,
                           bold_series: Callable[[], np.ndarray] | None = None) -> SessionConfounds:
    """Confounds and sample mask of the BOLD file ``bold_path`` under ``strategy``.

    Needed columns the table lacks are computed (:mod:`trialmri.fc.confound_columns`; DVARS only
    with ``bold_series``, a function giving the in-mask BOLD (n_volumes, n_voxels)) and listed in
    ``computed``. Raises ValueError naming the confounds file when a needed column cannot be.
    """
    bold_path = Path(bold_path)
    conf_path = confounds_path_for(bold_path)
    raw = read_tsv(conf_path)
    try:
        raw, computed = confound_columns.complete(raw, strategy.confound_columns_needed, bold_series)
    except confound_columns.MissingConfounds as err:
        dvars = " (DVARS: only from the BOLD)" if set(err.columns) & set(confound_columns.DVARS_COLUMNS) else ""
        raise ValueError(f"{conf_path}: no column(s) {err}, which the denoising strategy (config rsfmri.denoise) "
                         f"needs and trialmri cannot compute from the table{dvars}; rerun fMRIPrep's confounds "
                         "or change the strategy") from None
    placeholders = [c for c in strategy.scrub_columns_unused if c not in raw]
    for col in placeholders:
        raw[col] = np.nan
        computed[col] = "n/a placeholder: its scrub threshold is null (nilearn's scrub reads the column)"
    confounds, sample_mask = _nilearn_confounds(bold_path, raw if computed else None, strategy)
    n_vol = len(raw)
    kept = np.arange(n_vol) if sample_mask is None else np.asarray(sample_mask, dtype=int)
    flags = np.zeros(n_vol, dtype=bool)
    flags[kept] = True
    table = pd.DataFrame({"volume": np.arange(n_vol),
                          "framewise_displacement": raw.get("framewise_displacement", np.nan),
                          "std_dvars": raw.get("std_dvars", np.nan),
                          "kept": flags})
    return SessionConfounds(confounds=confounds, sample_mask=kept, table=table, computed=computed)


def _nilearn_confounds(bold_path: Path, table: pd.DataFrame | None, strategy: DenoiseStrategy):
    """nilearn's ``load_confounds`` of ``bold_path``; with ``table``, of that table instead of the
    file (written beside a same-named BOLD path in a temporary folder, the JSON copied)."""
    from nilearn.interfaces.fmriprep import load_confounds

    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore", RuntimeWarning)  # all-censored is reported by too_few_volumes
        if table is not None:
            conf_path = confounds_path_for(bold_path)
            write_tsv(Path(tmp) / conf_path.name, table)
            if conf_path.with_suffix(".json").exists():
                shutil.copy(conf_path.with_suffix(".json"), Path(tmp) / conf_path.with_suffix(".json").name)
            bold_path = Path(tmp) / bold_path.name
        return load_confounds(str(bold_path), **strategy.load_confounds_kwargs())


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
