"""Find what a BIDS dataset holds for each arm, and what each subject lacks.

:func:`discover` indexes the raw dataset and the fMRIPrep derivatives once and returns an
:class:`Inventory`: per subject and session the DWI series per phase-encoding direction (image,
bval, bvec, JSON), the baseline T1w, the preprocessed BOLD with its confounds and mask, the
participants table, and a list of :class:`Exclusion` rows for whatever a step needs and is missing.
Nothing missing is an error: it is an exclusion with a reason, and the rest goes on.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from trialmri.bids.fieldmaps import find_reverse_b0s
from trialmri.bids.file_index import FileIndex
from trialmri.bids.phenotype import by_subject, load_participants
from trialmri.tables import EXCLUSION_COLUMNS

@dataclass(frozen=True)
class Exclusion:
    """A subject (or one session of it) that a step cannot use, and why."""

    subject: str
    session: str
    step: str
    reason: str


@dataclass
class Inventory:
    """What :func:`discover` found. Paths are strings; sessions are labels without ``ses-``."""

    bids_dir: str
    fmriprep_dir: str
    dwi: dict[str, dict[str, dict[str, dict[str, str]]]] = field(default_factory=dict)
    t1w: dict[str, str] = field(default_factory=dict)
    bold: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    participants: pd.DataFrame | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    dti_subjects: list[str] = field(default_factory=list)
    rsfmri_subjects: list[str] = field(default_factory=list)

    @property
    def subjects(self) -> list[str]:
        """Every subject analysed in at least one arm."""
        return sorted(set(self.dti_subjects) | set(self.rsfmri_subjects))

    def subject_files(self, subject: str) -> dict[str, str]:
        """Every input file of ``subject``, keyed by a role name (for a rule's ``input:``)."""
        files = {}
        for ses, series in self.dwi.get(subject, {}).items():
            for direction, parts in series.items():
                for part, path in parts.items():
                    files[f"dwi_{ses}_{direction}_{part}"] = path
        if subject in self.t1w:
            files["t1w"] = self.t1w[subject]
        for ses, parts in self.bold.get(subject, {}).items():
            for part, path in parts.items():
                files[f"bold_{ses}_{part}"] = path
        return files

    def exclusions_table(self) -> pd.DataFrame:
        rows = [asdict(e) for e in self.exclusions]
        return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)


def _exclude_invalid_labels(root: Path, index: FileIndex, excl: list[Exclusion]) -> None:
    """An exclusion for each ``sub-*`` folder of ``root`` whose label is not BIDS (letters, digits)."""
    for name in index.invalid_subject_dirs:
        fixed = re.sub("[^a-zA-Z0-9]", "", name[4:]) or "X"
        excl.append(Exclusion(name[4:], "n/a", "inputs", f"{root / name}: a subject label must be letters and "
                              f"digits only (BIDS); rename the folder and its files, e.g. sub-{fixed}"))


def _entity(path: str, key: str, absent: str | None = "(none)") -> str | None:
    found = re.search(rf"_{key}-([a-zA-Z0-9]+)_", Path(path).name)
    return found[1] if found else absent


def _preproc_bold(deriv: FileIndex, sub, ses, task, space, run, resolution) -> str | None:
    """The one preprocessed BOLD of a session in ``space`` (and ``run``/``resolution`` when set).
    Several candidates are an error listing them: which to analyse is the user's choice."""
    found = deriv.get(subject=sub, session=ses, task=task, space=space, desc="preproc",
                      suffix="bold", extension=[".nii.gz", ".nii"])
    if run is not None:
        found = [f for f in found if (_entity(f, "run", "") or "x").isdigit() and int(_entity(f, "run")) == int(run)]
    if resolution is not None:
        found = [f for f in found if _entity(f, "res", None) == resolution]
    if len(found) > 1:
        keys = [k for k, key in (("run", "rsfmri.run"), ("res", "rsfmri.resolution"))
                if len({_entity(f, k) for f in found}) > 1]
        choose = " and ".join(f"config rsfmri.{'run' if k == 'run' else 'resolution'}" for k in keys) or \
            "rsfmri.run or rsfmri.resolution"
        raise ValueError(f"sub-{sub} ses-{ses} has {len(found)} preprocessed BOLD runs in space {space}: "
                         f"{', '.join(Path(f).name for f in found)}; choose one with {choose}")
    return found[0] if found else None


def discover(bids_dir, fmriprep_dir=None, *, dti_sessions=("pre", "post"), pe_dirs=("AP", "PA"),
             dti_groups=("ketamine", "vehicle"), rs_sessions=("ketamine", "placebo"),
             rs_groups=("TRD", "HV"), task="rest", space="MNI152NLin2009cAsym",
             group_column="group", dti_group_column=None, rs_group_column=None, run=None, resolution=None,
             participant_label=(), exclude_participant_label=()) -> Inventory:
    """Index ``bids_dir`` (and ``fmriprep_dir``, default ``<bids_dir>/derivatives/fmriprep``).

    A subject is in the DTI arm if it has any DWI in ``dti_sessions``, in the rsfMRI arm if it has
    any preprocessed BOLD in ``rs_sessions``. Each is kept only if its group is one of the arm's
    groups: ``dti_group_column`` / ``rs_group_column`` of participants.tsv (default ``group_column``),
    so a two-arm trial may keep one group column per arm; the other arm's column is not read for it.
    ``run`` / ``resolution`` choose among several preprocessed BOLD of one session.
    """
    bids_dir = Path(bids_dir)
    if not (bids_dir / "dataset_description.json").exists():
        raise FileNotFoundError(f"{bids_dir} is not a BIDS dataset (no dataset_description.json); "
                                f"set bids_dir in your config to the dataset's root folder")
    fmriprep_dir = Path(fmriprep_dir) if fmriprep_dir else bids_dir / "derivatives" / "fmriprep"
    inv = Inventory(str(bids_dir), str(fmriprep_dir))
    raw = FileIndex(bids_dir)
    subjects = sorted(raw.get_subjects())
    excl = inv.exclusions
    _exclude_invalid_labels(bids_dir, raw, excl)

    # DWI: both phase-encoding series with their bval, bvec and JSON, per session. A direction with
    # no DWI series may instead be a b0-only series in fmap/ (dir-<d>_epi) linked to the other
    # direction's DWI (trialmri.bids.fieldmaps): its parts are {"nii", "json"} only (no bval/bvec,
    # every volume a b0), which the corrections read as "field only; correct the full series alone".
    # A full DWI series of a direction always wins over a field map of it.
    for sub in subjects:
        for ses in dti_sessions:
            found, incomplete = {}, set()
            for direction in pe_dirs:
                images = raw.get(subject=sub, session=ses, suffix="dwi", direction=direction,
                                 extension=[".nii.gz", ".nii"])
                if not images:
                    continue
                image = images[0]
                stem = re.sub(r"\.nii(\.gz)?$", "", image)
                parts = {"nii": image, "bval": stem + ".bval", "bvec": stem + ".bvec", "json": stem + ".json"}
                lacking = [k for k, p in parts.items() if not Path(p).exists()]
                if lacking:
                    excl.append(Exclusion(sub, ses, "dwi", f"{Path(image).name} has no "
                                          f"{', '.join('.' + k for k in lacking)} beside it"))
                    incomplete.add(direction)
                    continue
                found[direction] = parts
            absent = [d for d in pe_dirs if d not in found and d not in incomplete]
            fmap_reasons = []
            if found and absent and not incomplete:
                dwi_image = next(iter(found.values()))["nii"]
                for direction in absent:
                    b0s = find_reverse_b0s(raw, sub, ses, direction, dwi_image)
                    if b0s.parts is not None:
                        found[direction] = b0s.parts
                    elif b0s.reason:
                        fmap_reasons.append(b0s.reason)
                found = {d: found[d] for d in pe_dirs if d in found}
                absent = [d for d in absent if d not in found]
            if found and absent:
                excl.append(Exclusion(sub, ses, "dwi", f"no dir-{'/'.join(absent)} DWI series in dwi/ and no "
                                      f"dir-{'/'.join(absent)} b0 series (_epi) in fmap/ linked to the DWI: the "
                                      f"distortion correction needs both {' and '.join(pe_dirs)}"
                                      + "".join(f"; {r}" for r in fmap_reasons)))
            if (found or incomplete) and len(found) < len(pe_dirs):
                continue
            if found:
                inv.dwi.setdefault(sub, {})[ses] = found
        if sub in inv.dwi or any(raw.get(subject=sub, suffix="dwi")):
            t1 = raw.get(subject=sub, suffix="T1w", extension=[".nii.gz", ".nii"])
            baseline = [f for f in t1 if f"ses-{dti_sessions[0]}" in Path(f).name] or t1
            if baseline:
                inv.t1w[sub] = baseline[0]

    # rsfMRI: preprocessed BOLD + confounds (+ brain mask if present) per session.
    if fmriprep_dir.exists():
        deriv = FileIndex(fmriprep_dir)
        _exclude_invalid_labels(fmriprep_dir, deriv, excl)
        for sub in sorted(deriv.get_subjects()):
            for ses in rs_sessions:
                bold = _preproc_bold(deriv, sub, ses, task, space, run, resolution)
                if not bold:
                    other = deriv.get(subject=sub, session=ses, task=task, desc="preproc", suffix="bold",
                                      extension=[".nii.gz", ".nii"])
                    in_space = [f for f in other if _entity(f, "space") == space]
                    if in_space:
                        excl.append(Exclusion(sub, ses, "rsfmri", f"preprocessed BOLD in space {space}, but "
                                              f"none with run-{run} / res-{resolution} (config rsfmri.run / "
                                              f"rsfmri.resolution): {', '.join(Path(f).name for f in in_space)}"))
                    elif other:
                        spaces = sorted({_entity(p, "space") for p in other})
                        excl.append(Exclusion(sub, ses, "rsfmri", f"{Path(other[0]).name}: preprocessed BOLD "
                                              f"only in space {', '.join(spaces)}, not {space} (config "
                                              "rsfmri.space); rerun fMRIPrep with --output-spaces "
                                              f"{space} or set rsfmri.space"))
                    continue
                entities = {"run": _entity(bold, "run", None)}
                conf = deriv.get(subject=sub, session=ses, task=task, desc="confounds",
                                 suffix="timeseries", extension=".tsv", **entities)
                if not conf:
                    excl.append(Exclusion(sub, ses, "rsfmri", f"{Path(bold).name} has no "
                                          "desc-confounds_timeseries.tsv beside it"))
                    continue
                parts = {"bold": bold, "confounds": conf[0]}
                mask = deriv.get(subject=sub, session=ses, task=task, space=space, desc="brain",
                                 suffix="mask", extension=[".nii.gz", ".nii"], res=_entity(bold, "res", None),
                                 **entities)
                if mask:
                    parts["mask"] = mask[0]
                inv.bold.setdefault(sub, {})[ses] = parts
        subjects = sorted(set(subjects) | set(deriv.get_subjects()))

    # Arms, sessions, participants table and config filters.
    participants = load_participants(bids_dir)
    inv.participants = participants
    listed = set(by_subject(participants).index) if participants is not None else set()
    arm_columns = {"dti": dti_group_column or group_column, "rsfmri": rs_group_column or group_column}
    table = by_subject(participants) if participants is not None else None
    groups = {arm: table[column].to_dict() if table is not None and column in table else {}
              for arm, column in arm_columns.items()}
    arms_with_data = {"dti": bool(inv.dwi), "rsfmri": bool(inv.bold)}
    for column in dict.fromkeys(c for arm, c in arm_columns.items() if arms_with_data[arm]):
        if table is not None and column not in table:
            keys = [f"{arm}.groups.column" for arm, c in arm_columns.items() if c == column
                    and (dti_group_column if arm == "dti" else rs_group_column)] or ["phenotype.participants.group"]
            excl.append(Exclusion("n/a", "n/a", "phenotype", f"participants.tsv has no column {column!r} "
                                  f"(config {' / '.join(keys)}); its columns: {', '.join(table.columns)}"))
    for sub in sorted(listed - set(subjects)):
        excl.append(Exclusion(sub, "n/a", "inputs", "listed in participants.tsv but no images found"))
    for sub in subjects:
        if participant_label and sub not in participant_label:
            continue
        if sub in exclude_participant_label:
            excl.append(Exclusion(sub, "n/a", "config", "listed in exclude_participant_label"))
            continue
        if sub not in listed:
            excl.append(Exclusion(sub, "n/a", "phenotype", "not in participants.tsv: add a row for "
                                  f"sub-{sub} with its group"))
            continue
        for arm, has_data, arm_groups, members in (
                ("dti", sub in inv.dwi, dti_groups, inv.dti_subjects),
                ("rsfmri", sub in inv.bold, rs_groups, inv.rsfmri_subjects)):
            if not has_data:
                continue
            group = groups[arm].get(sub)
            if group not in arm_groups:
                excl.append(Exclusion(sub, "n/a", arm, f"group {'n/a' if pd.isna(group) else repr(group)} in "
                                      f"participants.tsv column {arm_columns[arm]!r} is not one of "
                                      f"{', '.join(arm_groups)} (config {arm}.groups)"))
                continue
            sessions = inv.dwi[sub] if arm == "dti" else inv.bold[sub]
            wanted = dti_sessions if arm == "dti" else rs_sessions
            for ses in wanted:
                if ses not in sessions and not any(e.subject == sub and e.session == ses for e in excl):
                    excl.append(Exclusion(sub, ses, arm, f"session {ses} missing: "
                                          + ("no DWI" if arm == "dti" else "no preprocessed BOLD")))
            if arm == "dti" and sub not in inv.t1w:
                excl.append(Exclusion(sub, "n/a", "dti", "no T1w image: registration to MNI needs one"))
                continue
            members.append(sub)
    return inv
