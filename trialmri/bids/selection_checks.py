"""Settings that select nothing: stop when the workflow loads rather than plan a smaller run.

A mistyped ``fmriprep_dir``, an ``rsfmri.space`` no file has, a ``participant_label`` that matches
nobody, or an arm whose every subject discovery left out would otherwise give a result without
that arm and without a word. Each problem is one message naming the config key and the fix.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trialmri.bids.discovery import Inventory
from trialmri.bids.file_index import FileIndex, parse_name

ARMS = {"dti": ("DTI", "dwi"), "rsfmri": ("rsfMRI", "bold")}


def _listing(labels, n=8) -> str:
    labels = sorted(labels)
    return ", ".join(labels[:n]) + (f", ... ({len(labels)} in all)" if len(labels) > n else "")


def selection_problems(inv: Inventory, *, fmriprep_dir_configured: bool, task: str, space: str,
                       participant_label=(), raw_bold: bool = False) -> list[str]:
    """What in the config selects nothing (see the module docstring); empty when all is well.

    ``raw_bold``: the raw dataset has BOLD runs (so an absent fMRIPrep folder loses an arm).
    """
    problems = []
    fmriprep = Path(inv.fmriprep_dir)
    if not fmriprep.is_dir() and (fmriprep_dir_configured or raw_bold):
        key = "fmriprep_dir" if fmriprep_dir_configured else "fmriprep_dir (null: <bids_dir>/derivatives/fmriprep)"
        problems.append(f"config {key}: {fmriprep} does not exist, so the rsfMRI arm has no preprocessed BOLD; "
                        "give the folder that holds fMRIPrep's sub-*/ses-*/func outputs")
    if fmriprep.is_dir():
        deriv = FileIndex(fmriprep)
        spaces = Counter(
            parse_name(Path(path).name).get("space", "(none)")
            for sub in deriv.get_subjects()
            for path in deriv.get(subject=sub, task=task, desc="preproc", suffix="bold",
                                  extension=[".nii.gz", ".nii"]))
        if spaces and space not in spaces:
            problems.append(f"config rsfmri.space: no preprocessed BOLD of task {task} in space {space} under "
                            f"{fmriprep}; it has {', '.join(f'{s} ({n} runs)' for s, n in spaces.most_common())}")
    found = set(inv.dwi) | set(inv.bold) | set(inv.t1w)
    unknown = [label for label in participant_label if label not in found]
    if unknown:
        problems.append(f"config participant_label: {', '.join(unknown)} match no subject with images "
                        f"(found: {_listing(found)}); labels are without 'sub-' and keep their zeros ('001')")
    for arm, (name, _) in ARMS.items():
        has_data = inv.dwi if arm == "dti" else inv.bold
        members = inv.dti_subjects if arm == "dti" else inv.rsfmri_subjects
        wanted = [s for s in has_data if not participant_label or s in participant_label]
        if wanted and not members:
            reasons = Counter(e.reason for e in inv.exclusions if e.step in (arm, "phenotype")
                              and (e.subject in wanted or e.subject == "n/a"))
            why = f"; most often: {reasons.most_common(1)[0][0]}" if reasons else ""
            problems.append(f"every {name} subject with images ({len(wanted)}) was left out{why}. Check the "
                            f"config {arm}.groups and phenotype.participants against participants.tsv "
                            "(exclusions are listed in exclusions.tsv after a run with the arm fixed)")
    return problems


def raw_has_bold(bids_dir, task: str) -> bool:
    """Whether the raw dataset has BOLD runs of ``task`` (``sub-*/[ses-*/]func``)."""
    root = Path(bids_dir)
    patterns = (f"sub-*/func/*_task-{task}_*bold.nii*", f"sub-*/ses-*/func/*_task-{task}_*bold.nii*")
    return any(next(root.glob(p), None) for p in patterns)
