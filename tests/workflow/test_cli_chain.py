"""The README's program chain (trialmri lme -> fwhmx -> clustsim), run as written on the tiny run's own
data table and group mask, gives the workflow's numbers: the same statistics, ACF and cluster-size
tables. The chain passes lme's fit mask as written (fitted voxels are code 1) to fwhmx and clustsim."""

import json
import subprocess

import nibabel as nib
import numpy as np
from helpers import BIN

SEED = "VS"


def _program(*args) -> None:
    proc = subprocess.run([str(BIN / "trialmri"), *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_readme_program_chain_gives_the_workflows_numbers(first_run, tmp_path):
    group = first_run / "results" / "group" / "rsfmri"
    stem = group / f"space-MNI152NLin2009cAsym_roi-{SEED}_desc"
    meta = json.loads((group / f"space-MNI152NLin2009cAsym_roi-{SEED}_desc-lme_stats.json").read_text())
    prefix = tmp_path / SEED
    _program("lme", "--table", group / f"roi-{SEED}_desc-lme_table.tsv", "--formula", meta["formula"],
             "--random", "subject", "--mask", group / "space-MNI152NLin2009cAsym_desc-group_mask.nii.gz",
             "--out-prefix", prefix)
    for part in ("stats", "fitmask", "resid"):
        ours = np.asarray(nib.load(f"{prefix}_{part}.nii.gz").dataobj)
        theirs = np.asarray(nib.load(f"{stem}-lme_{part}.nii.gz").dataobj)
        assert np.array_equal(ours, theirs, equal_nan=True), part

    _program("fwhmx", "--input", f"{prefix}_resid.nii.gz", "--mask", f"{prefix}_fitmask.nii.gz",
             "--out-prefix", f"{prefix}_acf")
    acf = json.loads((tmp_path / f"{SEED}_acf.json").read_text())
    theirs = json.loads(open(f"{stem}-lme_acf.json").read())
    for key in ("acf", "acf_fwhm_mm", "fwhm_xyz_mm", "n_voxels", "n_volumes"):
        assert acf[key] == theirs[key], key

    sim = json.loads(open(f"{stem}-clustsim.json").read())
    _program("clustsim", "--mask", f"{prefix}_fitmask.nii.gz", "--acf", *map(repr, acf["acf"]),
             "--pthr", *sim["pthr"], "--athr", *sim["athr"], "--iter", sim["iterations"], "--seed", sim["seed"],
             "--noise", sim["noise"], "--out-prefix", f"{prefix}_cs")
    ours = json.loads((tmp_path / f"{SEED}_cs.json").read_text())
    assert ours["mask_voxels"] == sim["mask_voxels"]
    for nn in ("NN1", "NN2", "NN3"):
        assert ours[nn] == sim[nn], nn
