"""Sign/unit check of bench/pyhysco_peer.py on a synthetic reverse-PE pair with a planted field.

A smooth object (Gaussian blobs on a 64 x 64 x 48 grid, 2 x 2 x 2.5 mm voxels) and a smooth
planted field (3-D Gaussian, peak displacement 3 voxels). Both series are distorted forward,
analytically per PE line: signal at true position y appears at y + d(y) in "+" and at
y - d(y) in "-", with intensity factor 1 / (1 +- d'(y)). The peer must return a field (Hz)
with displacement of "+" in voxels along +axis = field_hz * readout_time; this checks that
the estimate correlates positively (r > 0.9) with the planted field inside the object and
reports the regression slope (about 1 if units are right).

Uses only numpy/nibabel (any python that has them, e.g. trialmri's venv) and runs the peer
with the PyHySCO venv's python in a subprocess:

    .venv/bin/python bench/pyhysco_sign_check.py [--axes 0 1 2] [--peer-python PATH]

Exits non-zero if any r <= 0.9.
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

SHAPE = (64, 64, 48)
ZOOMS = (2.0, 2.0, 2.5)
READOUT = 0.05  # s
PEAK_VOX = 3.0
PEER = Path(__file__).with_name("pyhysco_peer.py")
DEFAULT_PEER_PYTHON = os.environ.get("PYHYSCO_PYTHON", "/work/scratch/pyhysco-venv/bin/python")

BLOBS = [  # centre (voxels), sigma (voxels), amplitude
    ((32, 32, 24), (14, 16, 11), 1.0),
    ((24, 38, 20), (5, 4, 4), 0.8),
    ((40, 26, 28), (4, 6, 5), -0.5),
    ((30, 22, 18), (3, 3, 3), 0.7),
    ((36, 42, 30), (4, 3, 5), 0.6),
]
FIELD_CENTRE = (34.0, 30.0, 22.0)
FIELD_SIGMA = (10.0, 9.0, 8.0)


def image(x, y, z):
    out = np.zeros(np.broadcast(x, y, z).shape)
    for (cx, cy, cz), (sx, sy, sz), a in BLOBS:
        out += a * np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2 + ((z - cz) / sz) ** 2))
    return np.clip(out, 0, None) * 1000.0


def displacement(x, y, z, axis):
    """Planted displacement d (voxels along `axis`) and its derivative along `axis`."""
    c, s = FIELD_CENTRE, FIELD_SIGMA
    g = PEAK_VOX * np.exp(-0.5 * (((x - c[0]) / s[0]) ** 2 + ((y - c[1]) / s[1]) ** 2 + ((z - c[2]) / s[2]) ** 2))
    coord = (x, y, z)[axis]
    return g, -g * (coord - c[axis]) / s[axis] ** 2


def distort(axis: int, sign: float, up: int = 16) -> np.ndarray:
    """Image acquired with PE along sign*axis: true y appears at y + sign*d(y), intensity / (1 + sign*d')."""
    n = SHAPE[axis]
    grids = [np.arange(s, dtype=float) for s in SHAPE]
    fine = np.arange(0, (n - 1) * up + 1) / up  # fine true positions along PE
    grids_f = list(grids)
    grids_f[axis] = fine
    X = np.meshgrid(*grids_f, indexing="ij")
    d, dd = displacement(*X, axis)
    val = image(*X) / (1.0 + sign * dd)
    pos = X[axis] + sign * d  # observed position of each fine true sample (monotone: |d'| < 1)
    pos = np.moveaxis(pos, axis, -1).reshape(-1, fine.size)
    val = np.moveaxis(val, axis, -1).reshape(-1, fine.size)
    out = np.empty((pos.shape[0], n))
    target = np.arange(n, dtype=float)
    for i in range(pos.shape[0]):
        out[i] = np.interp(target, pos[i], val[i], left=0.0, right=0.0)
    other = [SHAPE[k] for k in range(3) if k != axis]
    return np.moveaxis(out.reshape(other + [n]), -1, axis)


def check(axis: int, peer_python: str, threads: int, tmp: Path) -> dict:
    affine = np.diag(list(ZOOMS) + [1.0])
    plus, minus = distort(axis, +1.0), distort(axis, -1.0)
    X = np.meshgrid(*[np.arange(s, dtype=float) for s in SHAPE], indexing="ij")
    truth = image(*X)
    planted_hz = displacement(*X, axis)[0] / READOUT
    fp, fm, fo = (tmp / f"{n}_ax{axis}.nii.gz" for n in ("plus", "minus", "field"))
    nib.save(nib.Nifti1Image(plus.astype(np.float32), affine), fp)
    nib.save(nib.Nifti1Image(minus.astype(np.float32), affine), fm)
    cmd = [peer_python, str(PEER), "--b0-plus", str(fp), "--b0-minus", str(fm),
           "--pe-axis", str(axis), "--readout-time", str(READOUT), "--out-field-hz", str(fo),
           "--threads", str(threads)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        raise SystemExit(f"peer failed on axis {axis}")
    info = json.loads(res.stdout.strip().splitlines()[-1])
    est = np.asarray(nib.load(fo).dataobj, dtype=float)
    mask = truth > 0.1 * truth.max()
    a, b = planted_hz[mask], est[mask]
    r = float(np.corrcoef(a, b)[0, 1])
    slope = float(np.dot(a - a.mean(), b - b.mean()) / np.dot(a - a.mean(), a - a.mean()))
    return {"pe_axis": axis, "r": round(r, 4), "slope": round(slope, 3),
            "planted_peak_hz": round(float(planted_hz.max()), 1),
            "est_peak_hz_in_mask": round(float(b.max()), 1),
            "mask_voxels": int(mask.sum()), "peer_seconds": info["seconds"],
            "subprocess_wall_s": round(wall, 2), "pyhysco": info["pyhysco_version"],
            "torch": info["torch_version"]}


def main() -> int:
    ap = argparse.ArgumentParser(description="sign/unit check of the PyHySCO peer")
    ap.add_argument("--axes", type=int, nargs="+", default=[0, 1, 2], choices=(0, 1, 2))
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="pyhysco_check_") as tmp:
        for axis in args.axes:
            out = check(axis, args.peer_python, args.threads, Path(tmp))
            print(json.dumps(out))
            ok &= out["r"] > 0.9
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
