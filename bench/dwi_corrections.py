"""Native DWI corrections of one study-size session, against planted truth and PyHySCO.

Usage: python bench/dwi_corrections.py BIDS_DIR [SUBJECT] [SESSION] [--peer /path/to/pyhysco-venv/bin/python]
                                        [--previous REV]

BIDS_DIR is a `trialmri synth` dataset (e.g. the study preset with one subject:
`python bench/dwi_corrections.py --make /tmp/study1` writes one). Prints wall time of the whole
session (field, motion/eddy, one resampling, combination), the field's r with the planted field and
the b0 mismatch drop, motion errors, and the same field figures for PyHySCO (run as
bench/pyhysco_peer.py in its own venv, never a trialmri dependency) on the same pair of first b0s
(the pair trialmri's field is estimated from).

``--previous REV`` (e.g. ``6316d20``, before issue 28's Gauss-Newton motion fit) also runs the same
session with the package as of that git revision (``git archive`` into a temporary folder, first on
PYTHONPATH, in a fresh process) and prints both CPU times (``time.process_time``: one process, BLAS
at one thread as in a workflow job) and their ratio, with both motion errors against the planted
truth. Issue 28's goal: <= 120 CPU-s for a study session.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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


def motion_errors(planted, result) -> dict:
    """Per series: mean absolute error of the translations (mm) and rotations (degrees) per axis."""
    out = {}
    for series in ("AP", "PA"):
        motion = np.array(planted["series"][series]["motion"])
        est = result.parameters[result.parameters.series == series]
        t = np.abs(est[["trans_x", "trans_y", "trans_z"]].to_numpy() - motion[:, :3]).mean(0)
        r = np.abs(est[["rot_x", "rot_y", "rot_z"]].to_numpy() - np.rad2deg(motion[:, 3:])).mean(0)
        out[series] = (t.tolist(), r.tolist())
    return out


def previous(args, cpu: float, errors: dict) -> None:
    """The same session with the package at ``args.previous``, in a fresh process; both printed."""
    with tempfile.TemporaryDirectory(prefix="trialmri-previous-") as tmp:
        archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", args.previous, "trialmri"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        child = subprocess.run([sys.executable, __file__, args.bids, args.subject or "", args.session, "--json"],
                               env={**os.environ, "PYTHONPATH": tmp}, capture_output=True, text=True, check=True)
    old = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"\n{'':24}{'CPU-s':>8}{'worst MAE mm':>14}{'worst MAE deg':>15}")
    for name, c, e in ((f"previous ({args.previous})", old["cpu"], old["motion"]), ("this tree", cpu, errors)):
        print(f"{name:24}{c:8.1f}{max(max(t) for t, _ in e.values()):14.3f}"
              f"{max(max(r) for _, r in e.values()):15.3f}")
    print(f"previous / this tree: {old['cpu'] / cpu:.2f}x CPU (goal: <= 120 CPU-s)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bids", nargs="?")
    ap.add_argument("subject", nargs="?")
    ap.add_argument("session", nargs="?", default="pre")
    ap.add_argument("--make")
    ap.add_argument("--peer", help="python of the PyHySCO venv")
    ap.add_argument("--previous", metavar="REV", help="also run the package as of this git revision")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the --previous child's report
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
    say = (lambda m: None) if args.json else (lambda m: print(f"  {time.perf_counter() - start:6.1f} s  {m}"))
    start, cpu = time.perf_counter(), time.process_time()
    result = correct_session(named, progress=say)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    field = nib.load(root / planted["field_hz"]).get_fdata()
    both = result.b0_before["AP"] + result.b0_before["PA"]
    inside = both > 0.2 * np.percentile(both, 99)
    f = result.field
    errors = motion_errors(planted, result)
    if args.json:
        print(json.dumps({"cpu": cpu, "wall": total, "motion": errors}))
        return
    print(f"session {shape}: {total:.0f} s in all, {cpu:.1f} CPU-s (field {f.seconds:.1f} s)")
    print(f"trialmri field: r = {np.corrcoef(f.field_hz[inside], field[inside])[0, 1]:.4f}, "
          f"RMSE {np.sqrt(np.mean((f.field_hz - field)[inside] ** 2)):.2f} Hz, b0 mismatch "
          f"{f.mismatch_before:.1f} -> {f.mismatch_after:.1f} ({100 * (1 - f.mismatch_after / f.mismatch_before):.0f} % lower)")
    for series, (t, r) in errors.items():
        print(f"motion {series}: MAE translation {np.round(t, 3)} mm, rotation {np.round(r, 3)} deg")
    if args.previous:
        previous(args, cpu, errors)
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
