"""PyHySCO peer: field map (Hz) from a reverse-phase-encoding b0 pair, for benchmarking.

Standalone. Run it with the PyHySCO venv's python, never trialmri's (PyHySCO is GPL and
pulls torch; it must not become a dependency of trialmri):

    /work/scratch/pyhysco-venv/bin/python bench/pyhysco_peer.py \
        --b0-plus AP.nii.gz --b0-minus PA.nii.gz --pe-axis 1 --readout-time 0.05 \
        --out-field-hz field_hz.nii.gz [--threads 2] [--max-iter 50]

--b0-plus is the series acquired with phase encoding along +axis (BIDS "j" for axis 1),
--b0-minus along -axis ("j-"). 4-D inputs are averaged over their last axis.

Pipeline (PyHySCO 0.0.4's recommended one, i.e. its `pyhysco` command-line defaults and the
README example): DataObject (intensities normalised to [0, 256], single precision, CPU),
EPIMRIDistortionCorrection(alpha=300, beta=1e-4, myAvg1D, myDiff1D, myLaplacian3D, JacobiCG),
InitializeOT with blur_result=True, then GaussNewton (PCG inner solver, Armijo line search,
max_iter=50 as in the command line; the README script uses 500, the stopping tolerances end it
well before either). PyHySCO 0.0.4 has no multilevel (coarse-to-fine) scheme: the optimisation
is single-level at full resolution; this is what its README, examples and CLI do.

Conventions, read from PyHySCO's source (EPI_MRI/EPIMRIDistortionCorrection.py, utils.py,
ImageModels.py, LinearOperators.py):
* load_data only permutes axes (no flips) so the phase-encoding axis is last; for 3-D input it
  accepts ped 1 or 2 only. This script therefore moves --pe-axis to axis 0 itself (np.moveaxis,
  no flip), writes temporary NIfTIs with a diagonal affine carrying the permuted voxel sizes and
  calls ped=1. The domain omega is [0, n*voxel_size] per axis, so the field b is in **mm**.
* b lives on a nodal grid (n+1 points along PE); mp_transform corrects with
  I1(x + A b) * (1 + D b) and I2(x - A b) * (1 - D b), A = 2-point average to cell centres,
  D = forward difference / h. I.e. signal from true position x appears in file_1 at x + b(x):
  file_1 is the "+" series and b is its displacement in mm along +array index of the PE axis.
* Output: field_hz = (A b) / h_pe / readout_time, so the displacement of the "+" series in
  voxels along +axis is field_hz * readout_time; it is mapped back to the input's axis order
  and written with the input's affine.

Verified by bench/pyhysco_sign_check.py: planted Gaussian field (peak 3 voxels), images
distorted forward y -> y + d(y) ("+") and y -> y - d(y) ("-") with Jacobian intensity factor,
this script's output correlates positively with the planted field (r > 0.9) and has about its
amplitude, for PE along each of the three axes.

Prints one JSON line on stdout: {"seconds", "pyhysco_version", "torch_version"}; seconds is the
wall time of the estimation only (DataObject construction, which reads the two temporary
.nii.gz, the OT initialisation and the Gauss-Newton run), not of input conversion or output.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import sys
import tempfile
import time

import nibabel as nib
import numpy as np


def _load(path: str) -> tuple[np.ndarray, np.ndarray]:
    img = nib.load(path)
    data = np.asarray(img.dataobj, dtype=np.float64)
    if data.ndim == 4:
        data = data.mean(axis=3)
    if data.ndim != 3:
        raise SystemExit(f"{path}: expected a 3-D or 4-D image, got shape {data.shape}")
    return np.nan_to_num(data), img.affine


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b0-plus", required=True)
    ap.add_argument("--b0-minus", required=True)
    ap.add_argument("--pe-axis", type=int, choices=(0, 1, 2), required=True)
    ap.add_argument("--readout-time", type=float, required=True, help="total readout time, s")
    ap.add_argument("--out-field-hz", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-iter", type=int, default=50, help="Gauss-Newton iterations (CLI default 50)")
    args = ap.parse_args(argv)

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    # PyHySCO's top-level packages are EPI_MRI and optimization (GPL, imported only here).
    from EPI_MRI.EPIMRIDistortionCorrection import DataObject, EPIMRIDistortionCorrection
    from EPI_MRI.LinearOperators import myAvg1D, myDiff1D, myLaplacian3D
    from EPI_MRI.Preconditioners import JacobiCG
    from optimization.GaussNewton import GaussNewton

    plus, affine = _load(args.b0_plus)
    minus, _ = _load(args.b0_minus)
    if plus.shape != minus.shape:
        raise SystemExit(f"shape mismatch: {plus.shape} vs {minus.shape}")
    ax = args.pe_axis
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    order = [ax] + [i for i in range(3) if i != ax]
    tmp_affine = np.diag(list(zooms[order]) + [1.0])

    with tempfile.TemporaryDirectory(prefix="pyhysco_peer_") as tmp:
        f1 = os.path.join(tmp, "plus.nii.gz")
        f2 = os.path.join(tmp, "minus.nii.gz")
        nib.save(nib.Nifti1Image(np.moveaxis(plus, ax, 0).astype(np.float32), tmp_affine), f1)
        nib.save(nib.Nifti1Image(np.moveaxis(minus, ax, 0).astype(np.float32), tmp_affine), f2)

        # PyHySCO prints progress/warnings on stdout; keep stdout for the JSON line only.
        with contextlib.redirect_stdout(sys.stderr):
            t0 = time.perf_counter()
            data = DataObject(f1, f2, 1, device="cpu", dtype=torch.float32)
            loss = EPIMRIDistortionCorrection(
                data, alpha=300.0, beta=1e-4,
                averaging_operator=myAvg1D, derivative_operator=myDiff1D,
                regularizer=myLaplacian3D, rho=0.0, PC=JacobiCG,
            )
            b0 = loss.initialize(blur_result=True)
            opt = GaussNewton(loss, max_iter=args.max_iter, verbose=False, path=os.path.join(tmp, "log"))
            bc = opt.run_correction(b0)
            seconds = time.perf_counter() - t0

        with torch.no_grad():
            b_nodal = bc.detach().reshape([int(v) for v in data.m[:-1]] + [int(data.m[-1]) + 1])
            b_cell_mm = loss.A.mat_mul(b_nodal)  # shape data.m, PE last, in mm
            h_pe = float(data.h[-1])
            disp_vox = (b_cell_mm / h_pe).permute(*data.p).cpu().numpy().astype(np.float64)

    # data.p maps PyHySCO's order back to the temporary file's (PE first); undo our moveaxis.
    disp_vox = np.moveaxis(disp_vox, 0, ax)
    if disp_vox.shape != plus.shape:
        raise RuntimeError(f"internal shape error {disp_vox.shape} vs {plus.shape}")
    field_hz = (disp_vox / args.readout_time).astype(np.float32)
    out = nib.Nifti1Image(field_hz, affine)
    out.header.set_xyzt_units("mm", "sec")
    nib.save(out, args.out_field_hz)

    print(json.dumps({
        "seconds": round(seconds, 3),
        "pyhysco_version": importlib.metadata.version("pyhysco"),
        "torch_version": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
