"""The synthetic trial's design: participants, clinical scores and the planted effects.

DTI arm (study 003): parallel groups ketamine / vehicle, sessions ``pre`` and ``post`` (24 h).
Planted: a fractional MD decrease ``delta_frac`` per ROI, so MD(post) = MD(pre) x (1 - delta_frac)
in the ROI's core, tapering smoothly across its border (:func:`change_profiles`), and ΔMD = MD(pre) - MD(post) > 0 means lower MD after infusion. Clinical change
(pre - post, positive = improvement) depends on the standardized planted ΔMD in the ketamine
group only.

rsfMRI arm (study 000): crossover HV / TRD, sessions ``ketamine`` and ``placebo``. Planted: the
correlation ``rho`` of each striatal seed's latent signal with its target region's, with a
group x treatment interaction (up in TRD, down in HV after ketamine); log CRP and SHAPS changes
tied to the change in rho as described in the study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialmri.synth.presets import Preset

DTI_SESSIONS = ("pre", "post")
RS_SESSIONS = ("ketamine", "placebo")

# ROIs of study 003 in which ΔMD is planted, in the atlas-ROI form of trialmri.atlas.
DTI_ROIS = {
    "lba10": {"atlas": "talairach_ba", "labels": ["Brodmann_area_10"], "hemisphere": "left"},
    "rba10": {"atlas": "talairach_ba", "labels": ["Brodmann_area_10"], "hemisphere": "right"},
    "lamygdala": {"atlas": "harvard_oxford", "labels": ["Left_Amygdala"], "threshold": 25},
    "ramygdala": {"atlas": "harvard_oxford", "labels": ["Right_Amygdala"], "threshold": 25},
    "lhippocampus": {"atlas": "harvard_oxford", "labels": ["Left_Hippocampus"], "threshold": 25},
    "rhippocampus": {"atlas": "harvard_oxford", "labels": ["Right_Hippocampus"], "threshold": 25},
    "vacc": {"atlas": "talairach_ba",
             "labels": ["Brodmann_area_25", "Brodmann_area_24", "Brodmann_area_32"],
             "limits_mm": {"y": [20, None], "z": [None, 10]}},
}

# ΔMD as a fraction of MD(pre): mean per group, SD for everyone.
DELTA_FRAC_MEAN = {"ketamine": 0.015, "vehicle": 0.0}
DELTA_FRAC_SD = 0.02
# Clinical change = intercept + sum(coef x z(ΔMD_roi)) + noise; coefficients for ketamine only.
CLINICAL = {
    "madrs": {"intercept": {"ketamine": 12.0, "vehicle": 5.0}, "noise_sd": 5.0,
              "ketamine_coef": {"lamygdala": 3.5, "lhippocampus": -3.0}},
    "qids_sr": {"intercept": {"ketamine": 5.0, "vehicle": 2.0}, "noise_sd": 2.5,
                "ketamine_coef": {"lba10": 1.8, "lamygdala": 1.8}},
}

# Striatal seeds (SPEC.md): left/right sphere centres in MNI mm; target regions of study 000.
SEEDS = {
    "VS": [(-9, 9, -8), (9, 9, -8)],
    "DC": [(-13, 15, 9), (13, 15, 9)],
    "DCP": [(-28, 1, 3), (28, 1, 3)],
    "VRP": [(-20, 12, -3), (20, 12, -3)],
}
TARGETS = {
    "VS": {"name": "left dlPFC", "centres": [(-40, 30, 30)]},
    "DC": {"name": "right vlPFC", "centres": [(48, 30, 4)]},
    "DCP": {"name": "pgACC", "centres": [(0, 40, 6)]},
    "VRP": {"name": "left/right OFC", "centres": [(-28, 34, -14), (28, 34, -14)]},
}
CONTROL_ROI = {"V1": [(-8, -76, 10), (8, -76, 10)]}
RHO_BASE = 0.30
RHO_EFFECT = {("HV", "ketamine"): -0.22, ("HV", "placebo"): 0.08,
              ("TRD", "ketamine"): 0.22, ("TRD", "placebo"): -0.08}
# Session-to-session spread of rho: its Δ (SD √2 x 0.20 = 0.28) is what the planted CRP and SHAPS
# relations ride on. A full study-n run measured 0.36 z per unit rho in the OFC target (8 mm
# spheres) and 0.062 z of noise per session there, so a smaller spread (0.04, then 0.10) left the
# individual ΔFC mostly noise (r(Δrho, ΔFC) = 0.36 at 0.10) and the relations unrecoverable.
RHO_SUBJECT_SD, RHO_SESSION_SD = 0.06, 0.20
# Δlog CRP (ketamine - placebo) = slope x (Δrho_VRP - mean Δrho_VRP of the group) + noise.
CRP_SLOPE = {"HV": -1.5, "TRD": 0.0}
# ΔSHAPS (ketamine - placebo), TRD: mean change + slope x centred Δrho_DC.
SHAPS_TRD = {"day2": {"mean": -4.0, "slope": -15.0}, "day10": {"mean": -2.0, "slope": -10.0}}


def _labels(prefix: str, n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def dti_design(preset: Preset, rng: np.random.Generator,
               clinical: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """DTI-arm participants, their per-session clinical scores and the planted truth.

    ``clinical`` replaces :data:`CLINICAL` (e.g. with no ΔMD coefficients, for null replicates).
    """
    clinical = CLINICAL if clinical is None else clinical
    groups = [g for g, n in preset.dti_groups.items() for _ in range(n)]
    groups = list(rng.permutation(groups))
    subjects = _labels("d", len(groups))
    failed = rng.integers(1, 7, len(groups))
    participants = pd.DataFrame({
        "participant_id": [f"sub-{s}" for s in subjects],
        "age": rng.integers(18, 61, len(groups)),
        "sex": rng.choice(["F", "M"], len(groups)),
        "group": groups,
        "infusion_order": "n/a",
        "failed_trials": failed,
        "treatment_resistance": np.where(failed < 3, "moderate", "severe"),
        "psychotropic_medication": rng.choice(["yes", "no"], len(groups), p=[0.6, 0.4]),
    })
    truth: dict = {"rois": DTI_ROIS, "delta_frac_mean": DELTA_FRAC_MEAN,
                   "delta_frac_sd": DELTA_FRAC_SD, "clinical": clinical, "subjects": {}}
    rows = []
    for sub, group in zip(subjects, groups):
        delta = {roi: float(rng.normal(DELTA_FRAC_MEAN[group], DELTA_FRAC_SD)) for roi in DTI_ROIS}
        z = {roi: (delta[roi] - np.mean(list(DELTA_FRAC_MEAN.values()))) / DELTA_FRAC_SD
             for roi in DTI_ROIS}
        scores = {}
        for measure, spec in clinical.items():
            change = spec["intercept"][group] + rng.normal(0, spec["noise_sd"])
            if group == "ketamine":
                change += sum(c * z[roi] for roi, c in spec["ketamine_coef"].items())
            base = 32.0 if measure == "madrs" else 16.0
            top = 60 if measure == "madrs" else 27
            pre = int(np.clip(round(rng.normal(base, base * 0.15)), 0, top))
            post = int(np.clip(round(pre - change), 0, top))
            scores[measure] = (pre, post)
        rows += [{"participant_id": f"sub-{sub}", "session_id": f"ses-{ses}",
                  "madrs": scores["madrs"][i], "qids_sr": scores["qids_sr"][i]}
                 for i, ses in enumerate(DTI_SESSIONS)]
        truth["subjects"][sub] = {
            "group": group,
            "md_scale": float(rng.normal(1.0, 0.03)),
            "post_global_scale": float(rng.normal(1.0, 0.005)),
            "delta_frac": delta,
            "delta_z": z,
            "clinical_change": {m: scores[m][0] - scores[m][1] for m in scores},
        }
    return participants, pd.DataFrame(rows), truth


def planted_roi_md(truth: dict, md_pre: float = 0.8) -> pd.DataFrame:
    """ROI mean MD per subject and session straight from the planted truth of :func:`dti_design`
    (no images): MD(pre) = ``md_pre`` x md_scale, MD(post) = MD(pre) x post_global_scale x
    (1 − delta_frac), in 10⁻³ mm²/s. Columns: subject, session, roi, md, coverage (1)."""
    rows = []
    for sub, info in truth["subjects"].items():
        pre = md_pre * info["md_scale"]
        for roi, frac in info["delta_frac"].items():
            post = pre * info["post_global_scale"] * (1 - frac)
            rows += [{"subject": sub, "session": DTI_SESSIONS[0], "roi": roi, "md": pre, "coverage": 1.0},
                     {"subject": sub, "session": DTI_SESSIONS[1], "roi": roi, "md": post, "coverage": 1.0}]
    return pd.DataFrame(rows)


def rs_design(preset: Preset, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """rsfMRI-arm participants, per-session clinical scores and CRP, and the planted truth."""
    groups = list(rng.permutation([g for g, n in preset.rs_groups.items() for _ in range(n)]))
    subjects = _labels("r", len(groups))
    # counterbalanced, as crossover trials randomize: within each group, half KP and half PK
    orders = np.empty(len(groups), dtype=object)
    for group in preset.rs_groups:
        members = [i for i, g in enumerate(groups) if g == group]
        orders[members] = rng.permutation((["KP", "PK"] * len(members))[:len(members)])
    missing = set()
    for group, n_missing in preset.rs_missing.items():
        members = [s for s, g in zip(subjects, groups) if g == group]
        missing |= set(rng.choice(members, n_missing, replace=False)) if n_missing else set()
    participants = pd.DataFrame({
        "participant_id": [f"sub-{s}" for s in subjects],
        "age": rng.integers(18, 61, len(groups)),
        "sex": rng.choice(["F", "M"], len(groups)),
        "group": groups,
        "infusion_order": orders,
        "failed_trials": [int(rng.integers(2, 8)) if g == "TRD" else "n/a" for g in groups],
        "treatment_resistance": ["severe" if g == "TRD" else "n/a" for g in groups],
        "psychotropic_medication": ["no"] * len(groups),
    })
    truth: dict = {"seeds": SEEDS, "targets": TARGETS, "control_roi": CONTROL_ROI,
                   "rho_base": RHO_BASE, "rho_effect": {f"{g}:{t}": v for (g, t), v in RHO_EFFECT.items()},
                   "crp_slope": CRP_SLOPE, "shaps_trd": SHAPS_TRD, "subjects": {}}
    rho = {}
    for sub, group in zip(subjects, groups):
        subject_shift = {seed: rng.normal(0, RHO_SUBJECT_SD) for seed in SEEDS}
        rho[sub] = {ses: {seed: float(np.clip(RHO_BASE + RHO_EFFECT[(group, ses)] + subject_shift[seed]
                                              + rng.normal(0, RHO_SESSION_SD), -0.9, 0.9))
                          for seed in SEEDS} for ses in RS_SESSIONS}
    drho = {s: {seed: rho[s]["ketamine"][seed] - rho[s]["placebo"][seed] for seed in SEEDS}
            for s in subjects}
    mean_drho = {g: {seed: np.mean([drho[s][seed] for s, gg in zip(subjects, groups) if gg == g])
                     for seed in SEEDS} for g in preset.rs_groups}
    rows = []
    for sub, group, order in zip(subjects, groups, orders):
        log_crp_placebo = rng.normal(0.3 + (0.3 if group == "TRD" else 0.0), 0.7)
        d_log_crp = CRP_SLOPE[group] * (drho[sub]["VRP"] - mean_drho[group]["VRP"]) + rng.normal(0, 0.15)
        log_crp = {"placebo": log_crp_placebo, "ketamine": log_crp_placebo + d_log_crp}
        if group == "TRD":
            shaps_p = {d: rng.normal(38, 5) for d in ("day2", "day10")}
            shaps_k = {d: shaps_p[d] + SHAPS_TRD[d]["mean"] + SHAPS_TRD[d]["slope"]
                       * (drho[sub]["DC"] - mean_drho[group]["DC"]) + rng.normal(0, 3) for d in shaps_p}
            madrs_p = {d: rng.normal(30, 6) for d in ("day2", "day10")}
            madrs_k = {"day2": madrs_p["day2"] - 8 + rng.normal(0, 6),
                       "day10": madrs_p["day10"] - 4 + rng.normal(0, 6)}
        else:
            shaps_p = {d: rng.normal(20, 3) for d in ("day2", "day10")}
            shaps_k = {d: shaps_p[d] + 1 + rng.normal(0, 2) for d in shaps_p}
            madrs_p = {d: abs(rng.normal(2, 2)) for d in ("day2", "day10")}
            madrs_k = {d: abs(rng.normal(2, 2)) for d in ("day2", "day10")}
        for ses in RS_SESSIONS:
            shaps = shaps_k if ses == "ketamine" else shaps_p
            madrs = madrs_k if ses == "ketamine" else madrs_p
            rows.append({"participant_id": f"sub-{sub}", "session_id": f"ses-{ses}",
                         "crp_day1": round(float(np.exp(log_crp[ses])), 3),
                         "madrs_day2": int(np.clip(round(madrs["day2"]), 0, 60)),
                         "madrs_day10": int(np.clip(round(madrs["day10"]), 0, 60)),
                         "shaps_day2": int(np.clip(round(shaps["day2"]), 14, 56)),
                         "shaps_day10": int(np.clip(round(shaps["day10"]), 14, 56))})
        truth["subjects"][sub] = {
            "group": group, "infusion_order": str(order),
            "sessions": [s for s in RS_SESSIONS if not (s == "placebo" and sub in missing)],
            "missing_sessions": ["placebo"] if sub in missing else [],
            "rho": rho[sub], "log_crp": log_crp,
        }
    return participants, pd.DataFrame(rows), truth


# Spatial profile of a planted change: the ROI mask smoothed with this Gaussian (mm). A step at an
# atlas border is not recoverable at 2 mm: with the exact transforms, the vACC's ROI-mean MD
# still misses a 4.8 % step by 4.8 % after one trilinear resampling (measured, issue 3).
CHANGE_PROFILE_SIGMA_MM = 2.0


def change_profiles(masks: dict, voxel_mm: float) -> dict:
    """Per ROI a 0..1 map: 1 in the core, ~0.5 at the border, 0 a few mm outside.

    Where ROIs overlap or touch, their profiles multiply into the change (each ROI keeps its
    own fraction in its core).
    """
    from scipy import ndimage

    sigma = CHANGE_PROFILE_SIGMA_MM / voxel_mm
    return {roi: np.clip(ndimage.gaussian_filter(mask.astype(np.float32), sigma), 0.0, 1.0)
            for roi, mask in masks.items()}
