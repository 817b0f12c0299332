"""trialmri clustsim: Monte Carlo cluster-size thresholds for an ACF (as 3dClustSim -acf)."""

from __future__ import annotations

import sys

from trialmri.cli.options import add_mask_threshold


def add(sub, common) -> None:
    p = sub.add_parser("clustsim", parents=[common],
                       help="Monte Carlo cluster-size thresholds for an ACF (as 3dClustSim -acf)",
                       description="Simulate Gaussian noise fields with the given ACF inside the mask, threshold "
                                   "each at the voxelwise p values (1-sided, 2-sided and bi-sided), cluster "
                                   "them (NN1 faces, NN2 edges, NN3 corners) and report, per alpha, the cluster "
                                   "size C that noise reaches in at most a fraction alpha of the fields "
                                   "(interpolated as 3dClustSim prints it: a cluster needs ceil(C) voxels).")
    p.add_argument("--mask", required=True, help="mask NIfTI: the grid and voxels of the analysis")
    p.add_argument("--acf", required=True, nargs=3, type=float, metavar=("A", "B", "C"),
                   help="ACF model parameters a, b (mm), c (mm), as trialmri fwhmx / 3dFWHMx -acf print them")
    p.add_argument("--pthr", nargs="+", type=float, default=[0.01, 0.005, 0.002, 0.001],
                   help="voxelwise p thresholds (default 0.01 0.005 0.002 0.001)")
    p.add_argument("--athr", nargs="+", type=float, default=[0.1, 0.05, 0.02, 0.01],
                   help="family-wise alpha levels (default 0.1 0.05 0.02 0.01)")
    p.add_argument("--iter", type=int, default=10000, help="number of noise fields (default 10000)")
    p.add_argument("--seed", type=int, default=123456789, help="random seed (default 123456789)")
    p.add_argument("--threads", type=int, default=1,
                   help="FFT threads (default 1); results do not depend on it")
    p.add_argument("--noise", choices=("exact", "afni"), default="exact",
                   help="exact (default): fields with exactly the ACF given; afni: the spectrum 3dClustSim "
                        "draws from, which lacks the grid's highest frequencies (smoother fields, cluster sizes "
                        "a few percent larger on coarse grids), to reproduce 3dClustSim's tables")
    add_mask_threshold(p)
    p.add_argument("--out-prefix", required=True,
                   help="writes P.json ({NN1: {1-sided|2-sided|bisided: {pthr: {alpha: size}}}}) and "
                        "AFNI-style tables P.NN1_1sided.1D ... P.NN3_bisided.1D")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.clusters.cluster_files import run_clustsim

    out = run_clustsim(args.mask, args.acf, args.pthr, args.athr, args.iter, args.seed, args.out_prefix,
                       workers=args.threads, progress=sys.stderr.isatty(), noise=args.noise,
                       mask_threshold=args.mask_threshold)
    print(f"{out['iterations']} fields over {out['mask_voxels']} mask voxels, ACF {' '.join(map(str, args.acf))}")
    for side in ("1-sided", "2-sided", "bisided"):
        row = out["NN1"][side]
        print(f" NN1 {side}: " + "; ".join(f"p {p}: " + ", ".join(f"a {a}: {c}" for a, c in by_a.items())
                                          for p, by_a in row.items()))
    print(f"wrote {args.out_prefix}.json and {args.out_prefix}.NN{{1,2,3}}_{{1sided,2sided,bisided}}.1D")
    return 0
