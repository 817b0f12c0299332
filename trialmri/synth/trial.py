"""``trialmri synth``: write a synthetic drug trial as a BIDS dataset with its planted truth.

Layout written under ``out``::

    dataset_description.json  README  CHANGES  .bidsignore  participants.tsv/.json  sessions.json
    sub-dNN/ses-{pre,post}/dwi/*_dir-{AP,PA}_dwi.{nii.gz,bval,bvec,json}   DTI arm
    sub-dNN/ses-pre/anat/*_T1w.nii.gz                                         baseline T1w
    sub-rNN/ses-<first>/anat/*_T1w.nii.gz                                     rsfMRI arm
    sub-*/sub-*_sessions.tsv                                                  clinical scores, CRP
    derivatives/fmriprep/sub-rNN/ses-*/func/*_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz
                                            *_desc-confounds_timeseries.tsv, *_desc-brain_mask
    truth.json  truth/   (listed in .bidsignore)

Randomness comes from one seed: the same seed, preset and switches give the same bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from trialmri import __version__, transforms
from trialmri.atlas import roi_mask
from trialmri.bids.naming import BIDS_VERSION, bids_path
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.text_files import write_json, write_text
from trialmri.tables import write_tsv
from trialmri.synth import bold, design, dwi
from trialmri.synth.presets import BRAIN_CENTRE_MNI, Distortions, Preset, get_preset
from trialmri.templates import TEMPLATE_NAME, brain_box_mm, mni_1mm, mni_grid, mni_on_grid

FMRIPREP_SPACE = "MNI152NLin2009cAsym"
DWI_TE_S, DWI_TR_S = 0.088, 2.443


def _progress(items, enabled: bool, desc: str):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="subject")


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def synthesize(out, preset: str | Preset = "tiny", seed: int = 0, distortions: Distortions | None = None,
               progress: bool = False) -> Path:
    """Write the synthetic trial to ``out`` (must not exist or be empty) and return its path."""
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if distortions is not None:
        preset = dataclasses.replace(preset, distortions=distortions)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty: choose a new --out or remove it first")
    out.mkdir(parents=True, exist_ok=True)
    dti_part, dti_sessions, dti_truth = design.dti_design(preset, _rng(seed, 0))
    rs_part, rs_sessions, rs_truth = design.rs_design(preset, _rng(seed, 1))
    _write_dataset_files(out, preset, seed, pd.concat([dti_part, rs_part], ignore_index=True),
                         pd.concat([dti_sessions, rs_sessions], ignore_index=True))
    truth = {"generated_by": f"trialmri {__version__} synth", "preset": dataclasses.asdict(preset),
             "seed": seed, "template": TEMPLATE_NAME, "conventions": {
                 "world": "RAS+ mm; MNI for maps under truth/",
                 "delta_md": "MD(pre) - MD(post), mm²/s; positive = lower MD after infusion",
                 "md_units": "mm²/s",
                 "displacement": "voxels along j = sign(PE) x (field_hz + eddy_hz) x TotalReadoutTime",
                 "motion": "per volume [trans_x, trans_y, trans_z (mm), rot_x, rot_y, rot_z (rad)], "
                           "rigid about the DWI grid centre, scanner frame, R = Rz Ry Rx",
                 "bvec": "FSL convention: voxel frame of the LAS image (x flipped relative to RAS)",
                 "transforms": "mni_to_head maps MNI mm to subject head mm; head_to_scanner maps head "
                               "mm to scanner mm at rest; 4 x 4 row-major"}}
    truth["dti"] = _write_dti_arm(out, preset, seed, dti_truth, progress)
    truth["rsfmri"] = _write_rs_arm(out, preset, seed, rs_truth, progress)
    write_json(out / "truth.json", truth)
    return out


def _write_dataset_files(out: Path, preset: Preset, seed: int, participants: pd.DataFrame,
                         sessions: pd.DataFrame) -> None:
    write_json(out / "dataset_description.json", {
        "Name": f"trialmri synthetic trial ({preset.name}, seed {seed})",
        "BIDSVersion": BIDS_VERSION, "DatasetType": "raw", "License": "CC0",
        "Authors": ["trialmri synth"],
        "GeneratedBy": [{"Name": "trialmri", "Version": __version__,
                         "Description": "synthetic data with planted ground truth (truth.json)"}]})
    write_text(out / "README",
               "Synthetic drug-trial MRI written by `trialmri synth`.\n\n"
               "DTI arm (sub-d*): ketamine vs vehicle, sessions pre and post (24 h), AP/PA DWI.\n"
               "rsfMRI arm (sub-r*): HV vs TRD crossover, sessions ketamine and placebo; preprocessed\n"
               "BOLD in derivatives/fmriprep. Every planted quantity is in truth.json and truth/.\n")
    write_text(out / "CHANGES", f"1.0.0 {pd.Timestamp(0).date()}\n  - synthesized by trialmri {__version__}\n")
    write_text(out / ".bidsignore", "truth.json\ntruth\n")
    write_tsv(out / "participants.tsv", participants)
    write_json(out / "participants.json", {
        "age": {"Description": "age at enrolment", "Units": "year"},
        "sex": {"Description": "sex", "Levels": {"F": "female", "M": "male"}},
        "group": {"Description": "DTI arm: randomized infusion; rsfMRI arm: diagnosis",
                  "Levels": {"ketamine": "ketamine 0.5 mg/kg", "vehicle": "saline vehicle",
                             "HV": "healthy volunteer", "TRD": "treatment-resistant depression"}},
        "infusion_order": {"Description": "crossover order", "Levels": {
            "KP": "ketamine first, placebo second", "PK": "placebo first, ketamine second"}},
        "failed_trials": {"Description": "failed adequate antidepressant trials (ATRQ)"},
        "treatment_resistance": {"Description": "moderate: < 3 failed trials; severe: >= 3",
                                 "Levels": {"moderate": "< 3 failed trials", "severe": ">= 3 failed trials"}},
        "psychotropic_medication": {"Description": "concurrent psychotropic medication",
                                    "Levels": {"yes": "yes", "no": "no"}}})
    write_json(out / "sessions.json", {
        "madrs": {"Description": "MADRS total at the session (DTI arm: pre and 24 h post infusion)"},
        "qids_sr": {"Description": "QIDS-SR total at the session"},
        "crp_day1": {"Description": "C-reactive protein, day 1 after the infusion", "Units": "mg/L"},
        "madrs_day2": {"Description": "MADRS total, day 2 after the infusion"},
        "madrs_day10": {"Description": "MADRS total, day 10 after the infusion"},
        "shaps_day2": {"Description": "SHAPS-C total, day 2 after the infusion"},
        "shaps_day10": {"Description": "SHAPS-C total, day 10 after the infusion"}})
    for pid, table in sessions.groupby("participant_id", sort=True):
        cols = [c for c in table.columns if c != "participant_id" and table[c].notna().any()]
        write_tsv(out / pid / f"{pid}_sessions.tsv", table[cols])


def _random_anatomy(rng: np.random.Generator) -> np.ndarray:
    """MNI mm -> subject head mm: small rotation, per-axis scale, translation."""
    return transforms.affine(np.deg2rad(rng.uniform(-4, 4, 3)), rng.uniform(-5, 5, 3),
                             scale=rng.normal(1.0, 0.04, 3))


def _random_pose(rng: np.random.Generator) -> np.ndarray:
    """Head mm -> scanner mm at rest: the head's position in the coil for one session."""
    return transforms.affine(np.deg2rad(rng.uniform(-3, 3, 3) * np.array([2.0, 1.0, 1.0])),
                             rng.uniform(-4, 4, 3))


def _write_dti_arm(out: Path, preset: Preset, seed: int, truth: dict, progress: bool) -> dict:
    maps, affine_1mm = mni_1mm()
    truth_grid = mni_grid(preset.truth_voxel_mm)
    base = dwi.mni_truth(mni_on_grid(truth_grid))
    masks = {roi: roi_mask(spec, truth_grid) & base["brain"] for roi, spec in design.DTI_ROIS.items()}
    profiles = design.change_profiles(masks, truth_grid.voxel_mm[0])
    save_nifti(out / "truth" / "space-MNI_desc-brain_mask.nii.gz", base["brain"], truth_grid.affine, np.uint8)
    for roi, mask in masks.items():
        save_nifti(out / "truth" / f"space-MNI_label-{roi}_mask.nii.gz", mask, truth_grid.affine, np.uint8)
    dist = preset.distortions
    bvals, bvecs = dwi.gradient_table(preset.n_b0, preset.n_directions, preset.bval)
    n_pe = preset.dwi_shape[1]
    readout = preset.echo_spacing_s * (n_pe - 1)
    noise_sigma = np.mean(dwi.S0_TISSUE["wm"]) / preset.snr_b0 if dist.noise else 0.0
    dtype = np.int16 if dist.noise else np.float32
    truth["truth_grid"] = {"shape": truth_grid.shape, "affine": truth_grid.affine}
    truth["brain_mask"] = "truth/space-MNI_desc-brain_mask.nii.gz"
    truth["roi_masks"] = {roi: f"truth/space-MNI_label-{roi}_mask.nii.gz" for roi in masks}
    truth["acquisition"] = {"bvals": bvals, "bvecs_scanner": bvecs, "total_readout_time_s": readout,
                            "noise_sigma": noise_sigma, "distortions": dataclasses.asdict(dist)}
    subjects = list(truth["subjects"])
    for index in _progress(range(len(subjects)), progress, "synth DTI arm"):
        sub = subjects[index]
        info = truth["subjects"][sub]
        rng = _rng(seed, 10, index)
        mni_to_head = _random_anatomy(rng)
        info["mni_to_head"] = mni_to_head
        info["sessions"] = {}
        for ses in design.DTI_SESSIONS:
            tensor = base["tensor"] * info["md_scale"]
            if ses == "post":
                scale = np.full(truth_grid.shape, info["post_global_scale"], np.float32)
                for roi, profile in profiles.items():
                    scale *= 1.0 - info["delta_frac"][roi] * profile
                tensor = tensor * scale[..., None]
            md = dwi.md_of(tensor)
            session_truth = {**base, "tensor": tensor}  # the DWI must carry this session's MD
            md_file = f"truth/{bids_path('md', '.nii.gz', sub=sub, ses=ses, space='MNI')}"
            save_nifti(out / md_file, np.where(base["brain"], md, 0.0), truth_grid.affine)
            pose = _random_pose(rng)
            mni_to_scanner = pose @ mni_to_head
            centre = transforms.apply(mni_to_scanner, np.array(BRAIN_CENTRE_MNI).reshape(3, 1)).ravel()
            dwi_centre = transforms.apply(mni_to_scanner, np.array(preset.dwi_centre_mni).reshape(3, 1)).ravel()
            grid = Grid.centred(preset.dwi_shape, preset.dwi_voxel_mm, dwi_centre, flip_x=True)
            # drawn even with eddy off, so switching an artefact keeps every other random draw
            eddy_gains = rng.normal(0, 1, (4, 3)) * np.array([[8.0], [0.06], [0.08], [0.06]])
            eddy = dwi.eddy_coefficients(bvals, bvecs, eddy_gains) if dist.eddy else np.zeros((len(bvals), 4))
            ses_truth = {"head_to_scanner": pose, "dwi_grid_affine": grid.affine, "md_mni": md_file,
                         "roi_mean_md": {roi: float(md[m].mean()) for roi, m in masks.items()},
                         "eddy_per_volume": eddy, "series": {}}
            if dist.susceptibility:
                field = dwi.field_hz(grid.world(), mni_to_scanner)
                field_file = f"truth/{bids_path('fieldmap', '.nii.gz', sub=sub, ses=ses, desc='hz')}"
                save_nifti(out / field_file, field, grid.affine)
                ses_truth["field_hz"] = field_file
            scanner_bvecs = grid.axes.T @ bvecs.T  # FSL bvecs: voxel frame of the LAS image
            for direction, pe_code, pe_sign in (("AP", "j-", -1), ("PA", "j", 1)):
                motion = _motion_series(rng, len(bvals)) if dist.motion else np.zeros((len(bvals), 6))
                data = dwi.simulate_series(session_truth, truth_grid.affine, grid, bvals, bvecs, mni_to_scanner,
                                           motion, eddy, pe_sign, readout, dist.susceptibility,
                                           noise_sigma, rng)
                stem = out / bids_path("dwi", "", datatype="dwi", sub=sub, ses=ses, dir=direction)
                save_nifti(f"{stem}.nii.gz", data, grid.affine, dtype, tr_s=DWI_TR_S)
                write_text(f"{stem}.bval", " ".join(f"{b:g}" for b in bvals) + "\n")
                write_text(f"{stem}.bvec", "\n".join(" ".join(f"{v:.6f}" for v in row)
                                                          for row in scanner_bvecs) + "\n")
                write_json(f"{stem}.json", {
                    "PhaseEncodingDirection": pe_code, "TotalReadoutTime": round(readout, 6),
                    "EffectiveEchoSpacing": preset.echo_spacing_s, "EchoTime": DWI_TE_S,
                    "RepetitionTime": DWI_TR_S, "MagneticFieldStrength": 3,
                    "Manufacturer": "Siemens", "ManufacturersModelName": "Prisma",
                    "MultibandAccelerationFactor": 4})
                ses_truth["series"][direction] = {"phase_encoding": pe_code, "motion": motion}
            if ses == "pre":
                t1_grid = Grid.centred(preset.t1_shape, preset.t1_voxel_mm, centre, flip_x=True)
                t1 = dwi.simulate_t1w(maps["t1"], affine_1mm, t1_grid, mni_to_scanner,
                                      15.0 if dist.noise else 0.0, rng)
                stem = out / bids_path("T1w", "", datatype="anat", sub=sub, ses=ses)
                save_nifti(f"{stem}.nii.gz", t1, t1_grid.affine, np.int16)
                write_json(f"{stem}.json", {"RepetitionTime": 2.4, "EchoTime": 0.00222,
                                            "FlipAngle": 8, "MagneticFieldStrength": 3})
                info["t1w_grid_affine"] = t1_grid.affine
            info["sessions"][ses] = ses_truth
        info["roi_delta_md"] = {roi: info["sessions"]["pre"]["roi_mean_md"][roi]
                                - info["sessions"]["post"]["roi_mean_md"][roi] for roi in masks}
    return truth


def _motion_series(rng: np.random.Generator, n: int) -> np.ndarray:
    steps = rng.normal(0, 1, (n, 6)) * np.array([0.15, 0.15, 0.15, *np.deg2rad([0.15, 0.15, 0.15])])
    motion = np.cumsum(steps, axis=0)
    return motion - motion[0]


def write_fmriprep_session(deriv: Path, sub: str, ses: str, data: np.ndarray, confounds: pd.DataFrame,
                           mask: np.ndarray, affine: np.ndarray, tr_s: float, dtype=np.int16) -> Path:
    """One session as fMRIPrep writes it under ``deriv``: the MNI-space preproc BOLD (+ JSON), its
    brain mask and the confounds table (+ JSON, where fMRIPrep keeps CompCor metadata). Returns
    the BOLD path."""
    entities = {"datatype": "func", "sub": sub, "ses": ses, "task": "rest"}
    stem = Path(deriv) / bids_path("bold", "", space=FMRIPREP_SPACE, desc="preproc", **entities)
    save_nifti(f"{stem}.nii.gz", data, affine, dtype, tr_s=tr_s)
    write_json(f"{stem}.json", {"RepetitionTime": tr_s, "TaskName": "rest", "SkullStripped": False})
    save_nifti(Path(deriv) / bids_path("mask", ".nii.gz", space=FMRIPREP_SPACE, desc="brain", **entities),
               mask, affine, np.uint8)
    conf = Path(deriv) / bids_path("timeseries", ".tsv", desc="confounds", **entities)
    write_tsv(conf, confounds)
    write_json(conf.with_suffix(".json"), {})
    return Path(f"{stem}.nii.gz")


def _write_rs_arm(out: Path, preset: Preset, seed: int, truth: dict, progress: bool) -> dict:
    lo, hi = brain_box_mm(margin_mm=8.0)
    grid = Grid.covering(lo, hi, preset.bold_voxel_mm)
    tissue = mni_on_grid(grid)
    maps, affine_1mm = mni_1mm()
    deriv = out / "derivatives" / "fmriprep"
    write_json(deriv / "dataset_description.json", {
        "Name": "fMRIPrep-style derivatives (synthetic)", "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "trialmri synth", "Version": __version__,
                         "Description": "stands in for fMRIPrep outputs"}]})
    truth["bold_grid"] = {"shape": grid.shape, "affine": grid.affine, "space": FMRIPREP_SPACE,
                          "volumes": preset.bold_volumes, "tr_s": preset.tr_s}
    subjects = list(truth["subjects"])
    for index in _progress(range(len(subjects)), progress, "synth rsfMRI arm"):
        sub = subjects[index]
        info = truth["subjects"][sub]
        rng = _rng(seed, 20, index)
        first = info["sessions"][0] if info["infusion_order"] == "KP" or len(info["sessions"]) == 1 \
            else info["sessions"][-1]
        t1_grid = Grid.centred(preset.t1_shape, preset.t1_voxel_mm, BRAIN_CENTRE_MNI, flip_x=True)
        mni_to_scanner = _random_pose(rng) @ _random_anatomy(rng)
        t1 = dwi.simulate_t1w(maps["t1"], affine_1mm, t1_grid, mni_to_scanner, 15.0, rng)
        stem = out / bids_path("T1w", "", datatype="anat", sub=sub, ses=first)
        save_nifti(f"{stem}.nii.gz", t1, t1_grid.affine, np.int16)
        write_json(f"{stem}.json", {"RepetitionTime": 2.4, "EchoTime": 0.00222, "FlipAngle": 8})
        info["bold"] = {}
        for ses in info["sessions"]:
            data, confounds = bold.simulate_session(tissue, grid, preset.bold_volumes, preset.tr_s,
                                                    info["rho"][ses], design.SEEDS, design.TARGETS, rng)
            path = write_fmriprep_session(deriv, sub, ses, data, confounds, tissue["brain"] > 0.5, grid.affine,
                                          preset.tr_s)
            info["bold"][ses] = {"file": str(path.relative_to(out)),
                                 "mean_fd_mm": float(np.nanmean(confounds["framewise_displacement"]))}
    return truth
