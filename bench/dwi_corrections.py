"""Native DWI corrections of one study-size session, against planted truth and PyHySCO.

Usage: python bench/dwi_corrections.py BIDS_DIR [SUBJECT] [SESSION] [--peer /path/to/pyhysco-venv/bin/python]

BIDS_DIR is a `trialmri synth` dataset (e.g. the study preset with one subject:
`python bench/dwi_corrections.py --make /tmp/study1` writes one). Prints wall time of the whole
session (field, motion/eddy, one resampling, combination), the field's r with the planted field and
the b0 mismatch drop, motion errors, and the same field figures for PyHySCO (run as
bench/pyhysco_peer.py in its own venv, never a trialmri dependency) on the same pair of first b0s
(the pair trialmri's field is estimated from).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from trialmri.dwi import susceptibility
from trialmri.dwi.corrections import correct_session

HERE = Path(__file__).parent


def make(out):
    from trialmri.synth import Distortions, synthesize
    from trialmri.synth.presets import get_preset

    one = dict(dti_groups={"ketamine": 1, "vehicle": 0}, rs_groups={"HV": 1, "TRD": 1},
               rs_missing={"HV": 0, "TRD": 0}, bold_volumes=24)
    synthesize(out, get_preset("study", **one), seed=5, distortions=Distortions())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bids", nargs="?")
    ap.add_argument("subject", nargs="?")
    ap.add_argument("session", nargs="?", default="pre")
    ap.add_argument("--make")
    ap.add_argument("--peer", help="python of the PyHySCO venv")
    args = ap.parse_args()
    if args.make:
        make(args.make)
        return
    root = Path(args.bids)
    truth = json.loads((root / "truth.json").read_text())["dti"]
    sub = args.subject or next(iter(truth["subjects"]))
    planted = truth["subjects"][sub]["sessions"][args.session]
    stem = root / f"sub-{sub}" / f"ses-{args.session}" / "dwi" / f"sub-{sub}_ses-{args.session}_dir-"
    named = {d: (f"{stem}{d}_dwi.nii.gz", f"{stem}{d}_dwi.bval", f"{stem}{d}_dwi.bvec", f"{stem}{d}_dwi.json")
             for d in ("AP", "PA")}
    shape = nib.load(named["AP"][0]).shape
    start = time.perf_counter()
    result = correct_session(named, progress=lambda m: print(f"  {time.perf_counter() - start:6.1f} s  {m}"))
    total = time.perf_counter() - start
    field = nib.load(root / planted["field_hz"]).get_fdata()
    both = result.b0_before["AP"] + result.b0_before["PA"]
    inside = both > 0.2 * np.percentile(both, 99)
    f = result.field
    print(f"session {shape}: {total:.0f} s in all (field {f.seconds:.1f} s)")
    print(f"trialmri field: r = {np.corrcoef(f.field_hz[inside], field[inside])[0, 1]:.4f}, "
          f"RMSE {np.sqrt(np.mean((f.field_hz - field)[inside] ** 2)):.2f} Hz, b0 mismatch "
          f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f} ({100 * (1 - f.mismatch_after / f.mismatch_before):.0f} % lower)")
    for series in ("AP", "PA"):
        motion = np.array(planted["series"][series]["motion"])
        est = result.parameters[result.parameters.series == series]
        t = np.abs(est[["trans_x", "trans_y", "trans_z"]].to_numpy() - motion[:, :3]).mean(0)
        r = np.abs(est[["rot_x", "rot_y", "rot_z"]].to_numpy() - np.rad2deg(motion[:, 3:])).mean(0)
        print(f"motion {series}: MAE translation {np.round(t, 3)} mm, rotation {np.round(r, 3)} deg")
    if args.peer:
        plus, minus = result.b0_before["PA"], result.b0_before["AP"]
        affine = nib.load(named["AP"][0]).affine
        with tempfile.TemporaryDirectory() as tmp:
            for name, img in (("plus", plus), ("minus", minus)):
                nib.save(nib.Nifti1Image(img.astype(np.float32), affine), f"{tmp}/{name}.nii.gz")
            t0 = time.perf_counter()
            out = subprocess.run([args.peer, str(HERE / "pyhysco_peer.py"), "--b0-plus", f"{tmp}/plus.nii.gz",
                                  "--b0-minus", f"{tmp}/minus.nii.gz", "--pe-axis", "1", "--readout-time",
                                  str(f.readout_s), "--out-field-hz", f"{tmp}/peer.nii.gz", "--threads", "2"],
                                 capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            peer = nib.load(f"{tmp}/peer.nii.gz").get_fdata()
        info = json.loads(out.stdout.strip().splitlines()[-1])
        d = peer * f.readout_s
        after = np.sqrt(np.mean((susceptibility.unwarp(plus, d, 1, 1) - susceptibility.unwarp(minus, d, 1, -1))
                                [inside] ** 2))
        before = np.sqrt(np.mean((plus - minus)[inside] ** 2))
        print(f"PyHySCO {info.get('pyhysco_version')}: {info['seconds']:.1f} s estimation ({wall:.0f} s with "
              f"start-up), r = {np.corrcoef(peer[inside], field[inside])[0, 1]:.4f}, RMSE "
              f"{np.sqrt(np.mean((peer - field)[inside] ** 2)):.2f} Hz, b0 mismatch {before:.1f} -> {after:.1f} "
              f"(same unwarping); trialmri/PyHySCO time ratio {f.seconds / info['seconds']:.2f}")


if __name__ == "__main__":
    main()
