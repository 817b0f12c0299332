"""A two-arm trial laid out the way a lab's own dataset comes, not the way `trialmri synth` writes it.

:func:`write_foreign_dataset` takes images of the tiny synthetic trial and lays them out anew:

- numeric, zero-padded subject labels (``sub-001`` ... DTI, ``sub-290`` ... rsfMRI);
- clinical scores in BIDS ``phenotype/`` tables: wide ``madrs.tsv`` (``madrs_pre``, ``madrs_24h``,
  ``madrs_ketamine_day2`` ...), wide ``crp.tsv`` and ``shaps.tsv``, long ``qids.tsv``
  (participant_id, session_id), with JSON sidecars (CRP in mg/L);
- one group column per arm in participants.tsv (``group_dti``: ketamine/vehicle/n/a,
  ``group_fc``: HV/TRD/n/a);
- the T1w in the baseline session's ``anat/`` folder;
- DWI stored with the x axis reversed (the tiny trial's LAS becomes RAS; the FSL bvecs are the
  same numbers for an LR-flipped store);
- the reverse phase encoding as a b0-only ``fmap/*_dir-PA_epi`` series linked by ``IntendedFor``
  (one session by ``B0FieldIdentifier`` / ``B0FieldSource`` instead);
- fMRIPrep outputs named ``res-2``, with confounds tables lacking ``dvars``, ``std_dvars`` and every
  ``*_power2`` / ``*_derivative1*`` column (older fMRIPrep);
- one session missing per arm (``sub-006`` has no pre DWI, ``sub-290`` no placebo BOLD).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

DTI_LABELS = {"d01": "001", "d02": "002", "d03": "003", "d04": "004", "d05": "005", "d06": "006"}
RS_LABELS = {"r01": "290", "r02": "584", "r03": "1012", "r04": "047", "r06": "733", "r07": "808"}
MISSING = {"006": "pre", "290": "placebo"}  # one session absent per arm
B0_FIELD_SOURCE = ("003", "pre")  # linked by B0FieldIdentifier / B0FieldSource, not IntendedFor
SPACE = "MNI152NLin2009cAsym"

USER_CONFIG = """\
phenotype:
  scores:
    madrs: {table: phenotype/madrs.tsv, columns: {pre: madrs_pre, post: madrs_24h}}
    qids_sr: {table: phenotype/qids.tsv, column: qids_sr}
    crp_day1: {table: phenotype/crp.tsv, columns: {ketamine: crp_ketamine_day1, placebo: crp_placebo_day1}}
    madrs_day2: {table: phenotype/madrs.tsv, columns: {ketamine: madrs_ketamine_day2, placebo: madrs_placebo_day2}}
    madrs_day10: {table: phenotype/madrs.tsv, columns: {ketamine: madrs_ketamine_day10, placebo: madrs_placebo_day10}}
    shaps_day2: {table: phenotype/shaps.tsv, columns: {ketamine: shaps_ketamine_day2, placebo: shaps_placebo_day2}}
    shaps_day10: {table: phenotype/shaps.tsv, columns: {ketamine: shaps_ketamine_day10, placebo: shaps_placebo_day10}}
dti:
  groups: {column: group_dti}
  rois:                              # the lab's own ROIs (a subset of the study's)
    lamygdala: {label: L amygdala, atlas: harvard_oxford, labels: [Left_Amygdala], threshold: 25}
    ramygdala: {label: R amygdala, atlas: harvard_oxford, labels: [Right_Amygdala], threshold: 25}
    lhippocampus: {label: L hippocampus, atlas: harvard_oxford, labels: [Left_Hippocampus], threshold: 25}
rsfmri:
  groups: {column: group_fc}
  seeds:                             # one seed and the control ROI
    regions:
      VS: [[-9, 9, -8], [9, 9, -8]]
"""


def _save_like(img, data, affine, path: Path) -> None:
    header = img.header.copy()
    out = nib.Nifti1Image(data, affine, header)
    out.set_sform(affine, code=1)
    out.set_qform(affine, code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(out, path)


def _las(src: Path, dst: Path, volumes=None) -> None:
    """``src`` stored with its x axis reversed (LAS <-> RAS), optionally only ``volumes``."""
    img = nib.load(src)
    data = np.asanyarray(img.dataobj)
    if volumes is not None:
        data = data[..., volumes]
    flip = np.diag([-1.0, 1, 1, 1])
    flip[0, 3] = data.shape[0] - 1
    _save_like(img, np.ascontiguousarray(data[::-1]), img.affine @ flip, dst)


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def _dwi_session(tiny: Path, old: str, new: str, ses: str, out: Path) -> None:
    src = tiny / f"sub-{old}" / f"ses-{ses}" / "dwi"
    dwi = out / f"sub-{new}" / f"ses-{ses}" / "dwi"
    ap_name = f"sub-{new}_ses-{ses}_dir-AP_dwi"
    _las(src / f"sub-{old}_ses-{ses}_dir-AP_dwi.nii.gz", dwi / f"{ap_name}.nii.gz")
    for ext in ("bval", "bvec"):
        shutil.copy(src / f"sub-{old}_ses-{ses}_dir-AP_dwi.{ext}", dwi / f"{ap_name}.{ext}")
    ap_json = json.loads((src / f"sub-{old}_ses-{ses}_dir-AP_dwi.json").read_text())
    pa_json = json.loads((src / f"sub-{old}_ses-{ses}_dir-PA_dwi.json").read_text())
    bvals = np.loadtxt(src / f"sub-{old}_ses-{ses}_dir-PA_dwi.bval", ndmin=1)
    b0s = np.flatnonzero(bvals < 50)
    fmap = out / f"sub-{new}" / f"ses-{ses}" / "fmap" / f"sub-{new}_ses-{ses}_dir-PA_epi"
    _las(src / f"sub-{old}_ses-{ses}_dir-PA_dwi.nii.gz", fmap.with_suffix(".nii.gz"), volumes=b0s)
    if (new, ses) == B0_FIELD_SOURCE:
        pa_json["B0FieldIdentifier"] = ap_json["B0FieldSource"] = f"pepolar{new}{ses}"
    else:
        pa_json["IntendedFor"] = [f"ses-{ses}/dwi/{ap_name}.nii.gz"]
    _json(dwi / f"{ap_name}.json", ap_json)
    _json(fmap.with_suffix(".json"), pa_json)


def _bold_session(tiny: Path, old: str, new: str, ses: str, out: Path) -> None:
    src = tiny / "derivatives" / "fmriprep" / f"sub-{old}" / f"ses-{ses}" / "func"
    if not src.is_dir():
        return
    func = out / "derivatives" / "fmriprep" / f"sub-{new}" / f"ses-{ses}" / "func"
    func.mkdir(parents=True)
    for path in sorted(src.iterdir()):
        name = path.name.replace(f"sub-{old}", f"sub-{new}").replace(f"space-{SPACE}_", f"space-{SPACE}_res-2_")
        if name.endswith("desc-confounds_timeseries.tsv"):
            table = pd.read_csv(path, sep="\t", keep_default_na=False)
            dropped = [c for c in table if c in ("dvars", "std_dvars") or "_power2" in c or "_derivative1" in c]
            table.drop(columns=dropped).to_csv(func / name, sep="\t", index=False)
        elif name.endswith("desc-confounds_timeseries.json"):
            meta = json.loads(path.read_text())
            _json(func / name, {k: v for k, v in meta.items()
                                if k not in ("dvars", "std_dvars") and "_power2" not in k and "_derivative1" not in k})
        else:
            shutil.copy(path, func / name)


def _anat(tiny: Path, old: str, new: str, out: Path) -> None:
    for path in sorted((tiny / f"sub-{old}").glob("ses-*/anat/*")):
        dst = out / f"sub-{new}" / path.relative_to(tiny / f"sub-{old}")
        dst = dst.with_name(path.name.replace(f"sub-{old}", f"sub-{new}"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dst)


def _phenotype(tiny: Path, out: Path) -> None:
    """participants.tsv with a group column per arm, and the scores as phenotype/ tables."""
    people = pd.read_csv(tiny / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    labels = {**DTI_LABELS, **RS_LABELS}
    people = people[people.participant_id.str.removeprefix("sub-").isin(labels)].copy()
    old = people.participant_id.str.removeprefix("sub-")
    dti = old.isin(DTI_LABELS)
    people.insert(1, "group_dti", np.where(dti, people.group, "n/a"))
    people.insert(2, "group_fc", np.where(dti, "n/a", people.group))
    people["participant_id"] = "sub-" + old.map(labels)
    people.drop(columns="group").to_csv(out / "participants.tsv", sep="\t", index=False)

    rows = []
    for before, after in labels.items():
        table = pd.read_csv(tiny / f"sub-{before}" / f"sub-{before}_sessions.tsv", sep="\t",
                            dtype=str, keep_default_na=False)
        for row in table.to_dict("records"):
            rows.append({"participant_id": f"sub-{after}", "session": row.pop("session_id")[4:], **row})
    scores = pd.DataFrame(rows)

    def wide(columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
        table = pd.DataFrame({"participant_id": list(dict.fromkeys(scores.participant_id))})
        for column, (score, session) in columns.items():
            values = scores[scores.session == session].set_index("participant_id")[score]
            table[column] = table.participant_id.map(values).fillna("n/a")
        return table

    pheno = out / "phenotype"
    pheno.mkdir()
    wide({"madrs_pre": ("madrs", "pre"), "madrs_24h": ("madrs", "post"),
          **{f"madrs_{s}_day{d}": (f"madrs_day{d}", s) for s in ("ketamine", "placebo") for d in (2, 10)}}
         ).to_csv(pheno / "madrs.tsv", sep="\t", index=False)
    wide({f"crp_{s}_day1": ("crp_day1", s) for s in ("ketamine", "placebo")}).to_csv(pheno / "crp.tsv", sep="\t",
                                                                                     index=False)
    wide({f"shaps_{s}_day{d}": (f"shaps_day{d}", s) for s in ("ketamine", "placebo") for d in (2, 10)}
         ).to_csv(pheno / "shaps.tsv", sep="\t", index=False)
    qids = scores[scores.qids_sr.notna() & (scores.qids_sr != "")]
    qids.assign(session_id="ses-" + qids.session)[["participant_id", "session_id", "qids_sr"]].to_csv(
        pheno / "qids.tsv", sep="\t", index=False)
    _json(pheno / "crp.json", {c: {"Description": f"C-reactive protein, day 1 after the {s} infusion",
                                   "Units": "mg/L"} for s in ("ketamine", "placebo") for c in [f"crp_{s}_day1"]})
    _json(pheno / "madrs.json", {"madrs_pre": {"Description": "MADRS total before the infusion"}})


def write_foreign_dataset(tiny: Path, out: Path) -> Path:
    """The foreign-layout dataset (module docstring) at ``out``, from the tiny trial at ``tiny``."""
    out.mkdir(parents=True)
    _json(out / "dataset_description.json", {"Name": "A lab's two-arm ketamine trial", "BIDSVersion": "1.10.0",
                                             "DatasetType": "raw"})
    _json(out / "derivatives" / "fmriprep" / "dataset_description.json",
          {"Name": "fMRIPrep", "BIDSVersion": "1.10.0", "DatasetType": "derivative",
           "GeneratedBy": [{"Name": "fMRIPrep", "Version": "20.2.7"}]})
    for old, new in DTI_LABELS.items():
        _anat(tiny, old, new, out)
        for ses in ("pre", "post"):
            if MISSING.get(new) != ses:
                _dwi_session(tiny, old, new, ses, out)
    for old, new in RS_LABELS.items():
        _anat(tiny, old, new, out)
        for ses in ("ketamine", "placebo"):
            if MISSING.get(new) != ses:
                _bold_session(tiny, old, new, ses, out)
    _phenotype(tiny, out)
    return out


def foreign_config() -> str:
    """USER_CONFIG with the tiny trial's test speed-ups (helpers.TEST_CONFIG, as the first run has
    them) merged in: the config of the test's run."""
    import yaml

    from helpers import TEST_CONFIG

    user, speed = yaml.safe_load(USER_CONFIG), yaml.safe_load(TEST_CONFIG)
    for arm, settings in speed.items():
        user.setdefault(arm, {}).update(settings)
    return yaml.safe_dump(user, sort_keys=False)
