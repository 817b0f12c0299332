"""trialmri lme: a voxelwise linear mixed model with a random subject intercept (as 3dLME)."""

from __future__ import annotations

import sys

from trialmri.cli.options import add_mask_threshold, split_list


def add(sub, common) -> None:
    p = sub.add_parser("lme", parents=[common],
                       help="voxelwise linear mixed model, random subject intercept, REML (as 3dLME)",
                       description="Fit y = fixed effects + subject intercept + error by REML at every voxel, "
                                   "as AFNI's 3dLME fits R's nlme::lme, all voxels at once. Factors are coded "
                                   "sum-to-zero (contr.sum), quantitative variables (--qvars, e.g. covariates) "
                                   "centred at their mean over the table's rows or at --qvar-centers, as 3dLME "
                                   "centres them; per term the marginal F (anova(fit, type = "
                                   "'marginal')) with nlme's denominator df, per coefficient estimate, SE, t; "
                                   "variance components and residuals. Voxels that are constant or have NaN "
                                   "are not fitted and are coded in P_fitmask.nii.gz.")
    p.add_argument("--table", required=True,
                   help="data table (TSV): the subject column, one column per variable, InputFile (one "
                        "3-D map per row; relative paths are taken from the table's folder)")
    p.add_argument("--formula", required=True, help='fixed effects, R style, e.g. "group*treatment+order"')
    p.add_argument("--random", default="subject", help="column of the random intercept (default: subject)")
    p.add_argument("--qvars", default="", help="comma-separated quantitative variables, e.g. covariates (as "
                                               "3dLME -qVars); every other variable is a factor")
    p.add_argument("--qvar-centers", default=None,
                   help="comma-separated centres of the --qvars variables, in their order (as 3dLME "
                        "-qVarCenters); default: each variable's mean over the table's rows, as 3dLME")
    p.add_argument("--mask", help="mask on the maps' grid; without it every voxel is considered")
    add_mask_threshold(p)
    p.add_argument("--no-resid", action="store_true", help="do not write P_resid.nii.gz")
    p.add_argument("--out-prefix", required=True,
                   help="writes P_stats.nii.gz + P_stats.json (volume list), P_resid.nii.gz, P_fitmask.nii.gz")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.lme.lme_files import run_lme_files

    qvars = split_list(args.qvars)
    centers = None
    if args.qvar_centers is not None:
        try:
            centers = [float(v) for v in split_list(args.qvar_centers)]
        except ValueError:
            raise ValueError(f"--qvar-centers {args.qvar_centers!r}: give numbers separated by commas, one per "
                             "--qvars variable") from None
    meta = run_lme_files(args.table, args.formula, args.random, args.out_prefix, args.mask, qvars,
                         residuals=not args.no_resid, progress=sys.stderr.isatty(), centers=centers,
                         mask_threshold=args.mask_threshold)
    counts = ", ".join(f"{k} {v}" for k, v in meta["voxels"].items() if v)
    print(f"{meta['n_rows']} maps of {meta['n_subjects']} subjects; voxels: {counts}; "
          f"{meta['voxels_boundary']} with zero subject variance")
    if meta["qvar_centers"]:
        print("  centred: " + ", ".join(f"{v} at {c:.6g}" for v, c in meta["qvar_centers"].items()))
    for vol in meta["volumes"]:
        if vol.get("stat") == "F":
            print(f"  {vol['term']}: F({vol['df_num']}, {vol['df_den']})")
    print(f"wrote {args.out_prefix}_stats.nii.gz (+ .json), {args.out_prefix}_fitmask.nii.gz"
          + ("" if args.no_resid else f", {args.out_prefix}_resid.nii.gz"))
    return 0
