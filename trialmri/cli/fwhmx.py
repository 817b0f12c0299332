"""trialmri fwhmx: smoothness of residuals, ACF model and classic FWHM (as 3dFWHMx -acf)."""

from __future__ import annotations

import sys

from trialmri.cli.options import add_mask_threshold


def add(sub, common) -> None:
    p = sub.add_parser("fwhmx", parents=[common],
                       help="smoothness of residuals: ACF model fit and classic FWHM (as 3dFWHMx -acf)",
                       description="Estimate the spatial autocorrelation of residual volumes as AFNI's 3dFWHMx "
                                   "-acf does: the empirical ACF at every voxel offset within a ball (average "
                                   "over volumes), fitted with a*exp(-r^2/(2b^2)) + (1-a)*exp(-r/c); its FWHM "
                                   "(twice the radius where the fit is 0.5) and the classic per-axis FWHM "
                                   "(Forman's first-difference estimate of a Gaussian kernel's FWHM).")
    p.add_argument("--input", required=True, help="residuals, 4-D NIfTI (e.g. trialmri lme's P_resid.nii.gz)")
    p.add_argument("--mask", help="mask on the same grid (e.g. the fit mask); default: voxels not always 0")
    p.add_argument("--detrend", nargs="?", type=int, const=-1, default=None, metavar="Q",
                   help="remove a per-voxel polynomial of order Q over the volumes first (default Q: "
                        "volumes/30, as 3dFWHMx -detrend)")
    add_mask_threshold(p)
    p.add_argument("--out-prefix", required=True,
                   help='writes P.json: {"acf": [a, b, c], "acf_fwhm_mm": .., "fwhm_xyz_mm": [..], ...}')
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.clusters.cluster_files import run_fwhmx

    out = run_fwhmx(args.input, args.mask, args.out_prefix, detrend=args.detrend, progress=sys.stderr.isatty(),
                    mask_threshold=args.mask_threshold)
    a, b, c = out["acf"]
    print(f"{out['n_volumes']} volume(s), {out['n_voxels']} voxels, ACF radius {out['radius_mm']:.1f} mm")
    print(" classic FWHM x y z (mm): " + "  ".join(f"{v:.4g}" for v in out["fwhm_xyz_mm"])
          + f"   combined {out['fwhm_combined_mm']:.4g}")
    print(f" ACF a b c: {a:.4g} {b:.4g} {c:.4g}   ACF FWHM {out['acf_fwhm_mm']:.4g} mm")
    print(f"wrote {args.out_prefix}.json")
    return 0
