"""What one BLAS thread costs the native DWI corrections, and what it buys: the same bytes.

Usage: python bench/blas_threads.py BIDS_DIR [SUBJECT] [SESSION]

BIDS_DIR is a `trialmri synth` dataset (tiny, or one study-size subject from
`python bench/dwi_corrections.py --make DIR`). Runs ``correct_session`` on one session in a fresh
process four times: OMP/OPENBLAS_NUM_THREADS 1 and 2 (as Snakemake sets them for a job's threads),
each with BLAS left as the environment says (the peer: before trialmri.blas) and with
trialmri.blas's one thread. Prints wall seconds, the ratio to the unpinned 2-thread run, and a
digest of the corrected DWI and the field, so the thread dependence is seen.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

RUN = """
import hashlib, json, sys, time
import numpy as np
pin, named = sys.argv[1] == "pin", json.loads(sys.argv[2])
if pin:
    from trialmri.blas import use_one_blas_thread
    use_one_blas_thread()
from trialmri.dwi.corrections import correct_session
start = time.perf_counter()
r = correct_session(named)
seconds = time.perf_counter() - start
digest = hashlib.sha256(np.ascontiguousarray(r.dwi).tobytes() + np.ascontiguousarray(r.field.field_hz).tobytes())
print(json.dumps({"seconds": seconds, "digest": digest.hexdigest()[:12]}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bids")
    ap.add_argument("subject", nargs="?")
    ap.add_argument("session", nargs="?", default="pre")
    args = ap.parse_args()
    root = Path(args.bids)
    sub = args.subject or next(iter(json.loads((root / "truth.json").read_text())["dti"]["subjects"]))
    stem = root / f"sub-{sub}" / f"ses-{args.session}" / "dwi" / f"sub-{sub}_ses-{args.session}_dir-"
    named = {d: [f"{stem}{d}_dwi{ext}" for ext in (".nii.gz", ".bval", ".bvec", ".json")] for d in ("AP", "PA")}
    rows = []
    for mode in ("env", "pin"):
        for threads in (1, 2):
            env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
            out = subprocess.run([sys.executable, "-c", RUN, mode, json.dumps(named)], env=env,
                                 capture_output=True, text=True, check=True)
            rows.append((mode, threads, json.loads(out.stdout.strip().splitlines()[-1])))
    peer = next(r["seconds"] for m, t, r in rows if m == "env" and t == 2)
    print(f"sub-{sub} ses-{args.session}: correct_session, fresh process per run")
    print(f"{'BLAS':<28}{'threads':>8}{'wall s':>9}{'ratio':>8}  digest (DWI + field)")
    for mode, threads, r in rows:
        label = "as the environment says" if mode == "env" else "trialmri.blas (one)"
        print(f"{label:<28}{threads:>8}{r['seconds']:>9.1f}{r['seconds'] / peer:>8.2f}  {r['digest']}")


if __name__ == "__main__":
    main()
