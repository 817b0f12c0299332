"""A denoising strategy from config, in the vocabulary of fMRIPrep and nilearn.

Config ``rsfmri.denoise`` (see config/config.yaml) names the confounds as nilearn's
``load_confounds`` does: ``motion`` basic (6 parameters) / power2 / derivatives (12) / full (24);
``wm_csf`` and ``global_signal`` null (off) or the same four levels; ``scrub`` censors volumes with
framewise displacement (mm) or standardized DVARS above a threshold plus kept segments shorter than
``min_segment`` volumes (Power et al. 2014); a null threshold switches that rule off, and its
column is then not needed. ``band_pass_hz`` [low, high] is a Butterworth filter
in ``nilearn.signal.clean`` (so the fMRIPrep cosine regressors are not added); ``detrend`` removes
a linear trend; ``smoothing_fwhm_mm`` is a Gaussian kernel applied before masking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

LEVELS = ("basic", "power2", "derivatives", "full")
SUFFIXES = {"basic": [], "power2": ["_power2"], "derivatives": ["_derivative1"],
            "full": ["_derivative1", "_power2", "_derivative1_power2"]}  # nilearn's add_suffix


@dataclass(frozen=True)
class DenoiseStrategy:
    motion: str = "full"
    wm_csf: str | None = "basic"
    global_signal: str | None = None
    fd_threshold_mm: float | None = 0.5
    std_dvars_threshold: float | None = 1.5
    min_segment: int = 5
    band_pass_hz: tuple[float | None, float | None] | None = (0.01, 0.1)
    detrend: bool = True
    smoothing_fwhm_mm: float | None = None
    min_volumes: int = 60

    @classmethod
    def from_config(cls, cfg: dict) -> "DenoiseStrategy":
        """``rsfmri.denoise`` of the config (validated by the schema) as a strategy."""
        scrub = cfg.get("scrub") or {}
        band = cfg.get("band_pass_hz")
        strategy = cls(motion=cfg.get("motion", "full"), wm_csf=cfg.get("wm_csf"),
                       global_signal=cfg.get("global_signal"),
                       fd_threshold_mm=scrub.get("fd_threshold_mm"),
                       std_dvars_threshold=scrub.get("std_dvars_threshold"),
                       min_segment=int(scrub.get("min_segment", 5)),
                       band_pass_hz=tuple(band) if band is not None else None,
                       detrend=bool(cfg.get("detrend", True)),
                       smoothing_fwhm_mm=cfg.get("smoothing_fwhm_mm"),
                       min_volumes=int(cfg.get("min_volumes", 60)))
        strategy.check()
        return strategy

    def check(self) -> None:
        for name in ("motion", "wm_csf", "global_signal"):
            level = getattr(self, name)
            if level is not None and level not in LEVELS:
                raise ValueError(f"rsfmri.denoise.{name}: {level!r} is not one of {LEVELS} (or null)")
        if self.motion is None:
            raise ValueError("rsfmri.denoise.motion: motion regressors cannot be switched off; use basic")
        if self.band_pass_hz is not None:
            low, high = self.band_pass_hz
            if low is not None and high is not None and not 0 <= low < high:
                raise ValueError(f"rsfmri.denoise.band_pass_hz: need low < high, got {list(self.band_pass_hz)}")

    @property
    def scrubs(self) -> bool:
        return self.fd_threshold_mm is not None or self.std_dvars_threshold is not None

    @property
    def confound_columns_needed(self) -> list[str]:
        """fMRIPrep confound columns this strategy reads, expansions included (nilearn's names:
        ``X_derivative1``, ``X_power2``, ``X_derivative1_power2`` by level); the scrub columns only
        for the thresholds that are set."""
        cols = expanded(["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"], self.motion)
        if self.wm_csf:
            cols += expanded(["white_matter", "csf"], self.wm_csf)
        if self.global_signal:
            cols += expanded(["global_signal"], self.global_signal)
        if self.fd_threshold_mm is not None:
            cols += ["framewise_displacement"]
        if self.std_dvars_threshold is not None:
            cols += ["std_dvars"]
        return cols

    def load_confounds_kwargs(self) -> dict:
        """Keyword arguments of ``nilearn.interfaces.fmriprep.load_confounds``."""
        strategy = ["motion"]
        kwargs: dict = {"motion": self.motion}
        if self.wm_csf:
            strategy.append("wm_csf")
            kwargs["wm_csf"] = self.wm_csf
        if self.global_signal:
            strategy.append("global_signal")
            kwargs["global_signal"] = self.global_signal
        if self.scrubs:
            strategy.append("scrub")
            kwargs.update(scrub=self.min_segment,
                          fd_threshold=np.inf if self.fd_threshold_mm is None else self.fd_threshold_mm,
                          std_dvars_threshold=np.inf if self.std_dvars_threshold is None
                          else self.std_dvars_threshold)
        kwargs["strategy"] = tuple(strategy)
        kwargs["demean"] = True
        return kwargs

    def clean_kwargs(self, tr_s: float) -> dict:
        """Keyword arguments of ``nilearn.signal.clean`` (confounds and sample mask aside)."""
        low, high = self.band_pass_hz if self.band_pass_hz is not None else (None, None)
        return {"detrend": self.detrend, "standardize": None, "standardize_confounds": True,
                "high_pass": low, "low_pass": high, "t_r": float(tr_s), "filter": "butterworth",
                # copy=True: one vectorized sosfiltfilt over all voxels (nilearn's in-place default
                # loops over voxels in Python, ~300x slower)
                "butterworth__copy": True}

    @property
    def scrub_columns_unused(self) -> list[str]:
        """Scrub columns whose threshold is null: nilearn's scrub reads both, so an absent one is
        given as n/a (never above a threshold)."""
        return ([] if not self.scrubs else
                [c for c, t in (("framewise_displacement", self.fd_threshold_mm),
                                ("std_dvars", self.std_dvars_threshold)) if t is None])

    def describe(self) -> dict:
        """The strategy as JSON-ready metadata for output sidecars."""
        out = asdict(self)
        out["band_pass_hz"] = list(self.band_pass_hz) if self.band_pass_hz is not None else None
        return out


def expanded(bases: list[str], level: str) -> list[str]:
    """``bases`` and their expansions at ``level``, in fMRIPrep's naming, base by base."""
    return [b + s for b in bases for s in ["", *SUFFIXES[level]]]
