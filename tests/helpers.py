"""What the three test tiers share: running the workflow and comparing its outputs, and small
builders of BIDS files and arrays."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HELD_BACK = ("d08", "r08")  # subjects whose files "arrive" after the first workflow run
ODD_FOLDER = "it's a \"first\" run"  # the first run's folder: a space, a single and a double quote
CLUSTSIM_ITERATIONS = 1000  # the default 10,000 takes ~30 s per seed on the tiny grid
# The tiny-trial runs test the workflow's plumbing, so they take the cheaper settings: one
# motion/eddy round (default 2: 15 s of 30 s per session) and SyN without its finest level (default
# [40, 20, 5] since issue 28, was [40, 20, 10]: 17 s of 67 s per subject). test_dti_accuracy runs SyN at the default.
TEST_CONFIG = f"""dti:
  corrections:
    iterations: 1
  syn_iterations: [40, 20, 0]
rsfmri:
  clusters:
    iterations: {CLUSTSIM_ITERATIONS}
"""


def run(cmd, cwd=ROOT, check=True, **kw) -> subprocess.CompletedProcess:
    """Run a command, returning its output; on failure show stdout and stderr."""
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr}")
    return proc


def dry_run(bids: Path, work: Path, extra_config: str = "", *args) -> tuple[str, dict[str, str]]:
    """``snakemake -n -p`` on ``bids`` with ``extra_config`` (YAML) added: its output and the
    planned job count per rule."""
    write_config(work, bids, extra_config)
    out = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
               "-n", "-p", *args]).stdout
    return out, dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.M))


def snakemake(work, *args, check=True, env=None, timeout=None):
    """The workflow on ``work``/config.yaml, run from ``work`` (``timeout`` in s, None: no limit)."""
    return run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", work, "--configfile", work / "config.yaml",
                *args], check=check, env=env, timeout=timeout)


def held_back_copy(tiny_bids: Path, work: Path) -> Path:
    """``work``/bids: the tiny trial without the HELD_BACK subjects (moved to ``work``/held)."""
    bids = work / "bids"
    shutil.copytree(tiny_bids, bids)
    for sub in HELD_BACK:
        for folder in (bids, bids / "derivatives" / "fmriprep"):
            if (folder / f"sub-{sub}").exists():
                shutil.move(folder / f"sub-{sub}", work / "held" / folder.relative_to(bids) / f"sub-{sub}")
    write_config(work)
    return bids


def write_config(work: Path, bids: Path | None = None, extra: str = TEST_CONFIG) -> Path:
    """``work``/config.yaml: the dataset ``bids`` (default ``work``/bids) into ``work``/results, with
    ``extra`` (YAML; default TEST_CONFIG) added."""
    (work / "config.yaml").write_text(f"bids_dir: {json.dumps(str(bids or work / 'bids'))}\n"  # JSON: YAML-safe
                                      f"output_dir: {json.dumps(str(work / 'results'))}\n{extra}")
    return work / "config.yaml"


def held_back_arrive(work: Path) -> None:
    """Move the held-back subjects into ``work``/bids: their files arrive after the first run, with
    the modification time of their arrival, as files copied in from the scanner have."""
    held = work / "held"
    for path in sorted(held.rglob("sub-*")):
        if path.is_dir() and path.parent.name in ("held", "fmriprep"):
            arrived = work / "bids" / path.relative_to(held)
            shutil.move(path, arrived)
            for file in arrived.rglob("*"):
                os.utime(file)


def break_new_subjects(bids: Path) -> tuple[Path, Path]:
    """Two faults in the held-back subjects' files, made the same way every time: d08's post AP DWI
    cut in half (truncated gzip) and one NaN voxel in r08's placebo BOLD. The two files."""
    dwi = bids / "sub-d08" / "ses-post" / "dwi" / "sub-d08_ses-post_dir-AP_dwi.nii.gz"
    dwi.write_bytes(dwi.read_bytes()[: dwi.stat().st_size // 2])
    func = bids / "derivatives" / "fmriprep" / "sub-r08" / "ses-placebo" / "func"
    bold = func / "sub-r08_ses-placebo_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
    img = nib.load(bold)
    data = np.asanyarray(img.dataobj).astype(np.float32)
    data[(*np.argwhere(data != 0)[0][:3], 0)] = np.nan
    header = img.header.copy()
    header.set_data_dtype(np.float32)
    nib.save(nib.Nifti1Image(data, img.affine, header), bold)
    return dwi, bold


def output_tables(work: Path, copied_from: Path | None = None) -> dict[str, str]:
    """Every TSV a run wrote under ``work``/results (benchmarks and logs aside), by relative path,
    with the run's own folder (and ``copied_from``, the folder of a run it was copied from) replaced
    by ``<work>`` so two runs in different folders compare."""
    results, folders = work / "results", [str(f) for f in (work, copied_from) if f is not None]

    def text(path: Path) -> str:
        found = path.read_text()
        for folder in folders:
            found = found.replace(folder, "<work>")
        return found

    return {str(p.relative_to(results)): text(p)
            for p in sorted(results.rglob("*.tsv")) if p.relative_to(results).parts[0] not in ("benchmarks", "logs")}


def output_images(work: Path) -> dict[str, str]:
    """A digest of every NIfTI a run wrote under ``work``/results (affine, dtype, shape and voxel
    values; not the gzip bytes, whose header holds a time stamp), by relative path."""
    results = work / "results"
    digests = {}
    for path in sorted(results.rglob("*.nii.gz")):
        img = nib.load(path)
        data = np.asanyarray(img.dataobj)
        blob = b"".join([np.asarray(img.affine, np.float64).tobytes(), str(data.dtype).encode(),
                         str(data.shape).encode(), np.ascontiguousarray(data).tobytes()])
        digests[str(path.relative_to(results))] = hashlib.sha256(blob).hexdigest()
    return digests


def write_nifti(path: Path, shape, affine=None, value=100.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.full(shape, value, np.float32), np.eye(4) if affine is None else affine), path)
    return path


def make_dwi(root: Path, sub: str, ses: str, direction: str, n_vol: int = 4, pe="j-", shape=(4, 4, 3)):
    """A small valid DWI series (1 b0 + n_vol-1 directions) with its bval, bvec and JSON."""
    stem = root / f"sub-{sub}" / f"ses-{ses}" / "dwi" / f"sub-{sub}_ses-{ses}_dir-{direction}_dwi"
    write_nifti(Path(f"{stem}.nii.gz"), (*shape, n_vol))
    bvals = [0] + [1000] * (n_vol - 1)
    dirs = np.eye(3)[np.arange(n_vol - 1) % 3].T
    bvecs = np.concatenate([np.zeros((3, 1)), dirs], axis=1)
    Path(f"{stem}.bval").write_text(" ".join(map(str, bvals)) + "\n")
    Path(f"{stem}.bvec").write_text("\n".join(" ".join(map(str, r)) for r in bvecs) + "\n")
    Path(f"{stem}.json").write_text(json.dumps({"PhaseEncodingDirection": pe, "TotalReadoutTime": 0.05}))
    return stem


def make_dataset(root: Path, participants: list[tuple[str, str]]) -> Path:
    """dataset_description.json and participants.tsv with (label, group) rows."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "t", "BIDSVersion": "1.10.0"}))
    rows = "".join(f"sub-{s}\t{g}\n" for s, g in participants)
    (root / "participants.tsv").write_text("participant_id\tgroup\n" + rows)
    return root


def make_bold(fmriprep: Path, sub: str, ses: str, n_vol: int = 5, confound_rows: int | None = None):
    (fmriprep / "dataset_description.json").parent.mkdir(parents=True, exist_ok=True)
    (fmriprep / "dataset_description.json").write_text(json.dumps(
        {"Name": "f", "BIDSVersion": "1.10.0", "DatasetType": "derivative", "GeneratedBy": [{"Name": "x"}]}))
    func = fmriprep / f"sub-{sub}" / f"ses-{ses}" / "func"
    stem = f"sub-{sub}_ses-{ses}_task-rest"
    write_nifti(func / f"{stem}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz", (3, 3, 3, n_vol))
    rows = n_vol if confound_rows is None else confound_rows
    (func / f"{stem}_desc-confounds_timeseries.tsv").write_text(
        "trans_x\tcsf\n" + "".join(f"{i * 0.01}\t{100 + i}\n" for i in range(rows)))


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def ellipsoid(shape, fill=0.9) -> np.ndarray:
    ijk = np.indices(shape)
    centre = (np.array(shape)[:, None, None, None] - 1) / 2
    return ((((ijk - centre) / (centre * fill)) ** 2).sum(0)) < 1


def smoothed_noise(rng, shape, sigma_vox, n, pad=None) -> np.ndarray:
    """White noise smoothed by a Gaussian (sigma in voxels) on a padded grid, cropped: stationary,
    scaled to unit variance by the kernel's own norm; (n, *shape)."""
    pad = pad or int(math.ceil(4 * sigma_vox)) + 1
    big = tuple(s + 2 * pad for s in shape)
    delta = np.zeros(big)
    delta[tuple(s // 2 for s in big)] = 1.0
    norm = np.sqrt((ndimage.gaussian_filter(delta, sigma_vox) ** 2).sum())
    crop = tuple(slice(pad, pad + s) for s in shape)
    return np.stack([ndimage.gaussian_filter(rng.standard_normal(big), sigma_vox)[crop] / norm for _ in range(n)])


def make_fmap_epi(root: Path, sub: str, ses: str, direction: str = "PA", n_vol: int = 2, pe="j", shape=(4, 4, 3),
                  acq: str | None = None, **meta) -> Path:
    """A b0-only reverse-PE series in fmap/ (``[acq-<acq>_]dir-<direction>_epi``) with its JSON
    (PE direction, readout and ``meta``, e.g. IntendedFor or B0FieldIdentifier); returns the image."""
    entities = f"sub-{sub}_ses-{ses}" + (f"_acq-{acq}" if acq else "") + f"_dir-{direction}_epi"
    image = write_nifti(root / f"sub-{sub}" / f"ses-{ses}" / "fmap" / f"{entities}.nii.gz", (*shape, n_vol))
    Path(str(image).replace(".nii.gz", ".json")).write_text(
        json.dumps({"PhaseEncodingDirection": pe, "TotalReadoutTime": 0.05, **meta}))
    return image


def dwi_to_fmap(bids: Path, sub: str, ses: str, direction: str = "PA", other: str = "AP") -> Path:
    """Turn a session's full ``dir-<direction>`` DWI series into the fmap/ layout: its b0 volumes as
    ``fmap/..._dir-<direction>_epi`` (JSON kept, IntendedFor the ``dir-<other>`` DWI), the DWI series
    removed. Returns the new image."""
    stem = bids / f"sub-{sub}" / f"ses-{ses}" / "dwi" / f"sub-{sub}_ses-{ses}_dir-{direction}_dwi"
    image = nib.load(f"{stem}.nii.gz")
    b0s = np.loadtxt(f"{stem}.bval", ndmin=1) <= 50
    fmap = bids / f"sub-{sub}" / f"ses-{ses}" / "fmap"
    fmap.mkdir(parents=True, exist_ok=True)
    out = fmap / f"sub-{sub}_ses-{ses}_dir-{direction}_epi.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(image.dataobj)[..., b0s], image.affine, image.header), out)
    meta = json.loads(Path(f"{stem}.json").read_text())
    meta["IntendedFor"] = [f"ses-{ses}/dwi/sub-{sub}_ses-{ses}_dir-{other}_dwi.nii.gz"]
    (fmap / f"sub-{sub}_ses-{ses}_dir-{direction}_epi.json").write_text(json.dumps(meta))
    for ext in (".nii.gz", ".bval", ".bvec", ".json"):
        Path(f"{stem}{ext}").unlink()
    return out


def make_dti_subject(root: Path, sub: str) -> None:
    """Both sessions' AP and PA DWI series (helpers.make_dwi) and a baseline T1w."""
    for ses in ("pre", "post"):
        for d, pe in (("AP", "j-"), ("PA", "j")):
            make_dwi(root, sub, ses, d, pe=pe)
    write_nifti(root / f"sub-{sub}" / "ses-pre" / "anat" / f"sub-{sub}_ses-pre_T1w.nii.gz", (4, 4, 4))
