"""trialmri <program>: the native engines as command-line programs, as FSL and AFNI ship theirs.

Each program is a subcommand with its own ``--help``. Errors print one line naming the file and
the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from trialmri import __version__
from trialmri.blas import use_one_blas_thread


def _add_synth(sub) -> None:
    p = sub.add_parser("synth", help="write a synthetic trial as a BIDS dataset with truth.json",
                       description="Write a synthetic drug trial (DTI and rsfMRI arms) as a BIDS "
                                   "dataset, with every planted quantity in truth.json.")
    p.add_argument("--preset", choices=["tiny", "study", "study-n"], default="tiny",
                   help="tiny: 8+8 subjects at 4 mm (~1 min); study: the studies' sizes (~2 h, "
                        "~14 GB); study-n: the studies' 98+46 subjects at the tiny geometry (~12 min)")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    for name in ("susceptibility", "motion", "eddy", "noise"):
        p.add_argument(f"--no-{name}", action="store_true", help=f"switch off DWI {name}")
    p.add_argument("--clean", action="store_true", help="switch off all four DWI artefacts")
    p.set_defaults(func=_run_synth)


def _run_synth(args) -> int:
    from trialmri.synth import Distortions, synthesize

    off = {n: args.clean or getattr(args, f"no_{n}") for n in ("susceptibility", "motion", "eddy", "noise")}
    dist = Distortions(**{n: not v for n, v in off.items()})
    out = synthesize(args.out, args.preset, args.seed, dist, progress=sys.stderr.isatty())
    print(f"wrote {out} (preset {args.preset}, seed {args.seed}); planted truth in {out / 'truth.json'}")
    return 0


def _add_tensor(sub) -> None:
    p = sub.add_parser("tensor", help="weighted least-squares diffusion tensor fit (as dtifit --wls)",
                       description="Fit a diffusion tensor in every voxel by weighted least squares (OLS "
                                   "start, weights = squared predicted signal, as FSL dtifit --wls and "
                                   "DIPY WLS) and write MD, FA, AD, RD. Diffusivities are in the inverse "
                                   "units of the b-values (mm²/s for s/mm²). Voxels where no fit is "
                                   "possible are NaN and counted in P_qc.tsv; voxels outside --mask are 0.")
    p.add_argument("--dwi", required=True, help="4-D DWI series (NIfTI)")
    p.add_argument("--bval", required=True, help="b-values, FSL layout (one row, s/mm²)")
    p.add_argument("--bvec", required=True, help="b-vectors, FSL layout (3 rows; N x 3 is transposed)")
    p.add_argument("--mask", help="brain mask on the DWI grid; without it every voxel is fitted")
    p.add_argument("--out-prefix", required=True, help="writes P_md, P_fa, P_ad, P_rd .nii.gz and P_qc.tsv")
    p.set_defaults(func=_run_tensor)


def _run_tensor(args) -> int:
    from trialmri.dwi.tensor import METRICS
    from trialmri.dwi.tensor_files import fit_tensor_files

    prefix = args.out_prefix
    outputs = {m: f"{prefix}_{m}.nii.gz" for m in METRICS}
    fit = fit_tensor_files(args.dwi, args.bval, args.bvec, outputs, mask_path=args.mask,
                           qc_path=f"{prefix}_qc.tsv", progress=sys.stderr.isatty())
    c = fit.counts
    print(f"fitted {c['n_fitted']} of {c['n_mask']} voxels (no signal {c['no_signal']}, too few volumes "
          f"{c['too_few_volumes']}, rank-deficient {c['rank_deficient']}; negative eigenvalue "
          f"{c['negative_eigenvalue']}); wrote {prefix}_{{md,fa,ad,rd}}.nii.gz and {prefix}_qc.tsv")
    return 0


def _add_topup(sub) -> None:
    p = sub.add_parser("topup", help="susceptibility field from a reverse phase-encoded b0 pair (as FSL topup)",
                       description="Estimate the susceptibility off-resonance field (Hz) from two b0 images "
                                   "acquired with opposite phase encoding, by least squares with a "
                                   "smoothness penalty, coarse to fine, with the Jacobian intensity change "
                                   "(Ruthotto et al. 2012). Convention: the --b0-pa series (PE along +axis, "
                                   "BIDS 'j') is displaced by +field x readout time voxels along the axis, "
                                   "the --b0-ap series (PE along -axis, 'j-') by the opposite.")
    p.add_argument("--b0-ap", required=True, help="b0 with phase encoding along -axis (BIDS 'j-'); 4-D is averaged")
    p.add_argument("--b0-pa", required=True, help="b0 with phase encoding along +axis (BIDS 'j'); 4-D is averaged")
    p.add_argument("--pe-axis", choices=["x", "y", "z", "i", "j", "k"], default="y",
                   help="phase-encoding voxel axis (x/i, y/j, z/k; default y)")
    p.add_argument("--readout-time", type=float, required=True, help="TotalReadoutTime in seconds")
    p.add_argument("--out-prefix", required=True,
                   help="writes P_field_hz.nii.gz and P_corrected.nii.gz (corrected PA then AP b0)")
    p.set_defaults(func=_run_topup)


def _run_topup(args) -> int:
    from trialmri.dwi.acqparams import check_readout
    from trialmri.dwi.correction_files import topup_files

    check_readout(args.readout_time, f"--readout-time {args.readout_time}",
                  "give TotalReadoutTime in seconds (e.g. 0.05)")
    axis = "xyz".index(args.pe_axis) if args.pe_axis in "xyz" else "ijk".index(args.pe_axis)
    field = topup_files(args.b0_pa, args.b0_ap, axis, args.readout_time, args.out_prefix)
    print(f"field {field.field_hz.min():.1f} to {field.field_hz.max():.1f} Hz; AP-PA RMS mismatch "
          f"{field.mismatch_before:.1f} -> {field.mismatch_after:.1f} "
          f"({100 * (1 - field.mismatch_after / max(field.mismatch_before, 1e-12)):.0f} % lower) in "
          f"{field.seconds:.1f} s; wrote {args.out_prefix}_field_hz.nii.gz and {args.out_prefix}_corrected.nii.gz")
    return 0


def _add_netcorr(sub) -> None:
    p = sub.add_parser("netcorr", help="seed-to-voxel Pearson r and Fisher z maps per ROI label (as 3dNetCorr)",
                       description="Correlate the mean time series of each ROI label (all its voxels inside the "
                                   "mask) with every voxel's time series, as AFNI's 3dNetCorr -fish_z -ts_wb_Z: "
                                   "one whole-brain Fisher z = atanh(r) map per ROI (|r| capped at 0.999329, "
                                   "3dNetCorr's cap) and the ROI x ROI r and z table. The input should already be "
                                   "denoised. ROI names come from a sidecar table beside the label map "
                                   "(ROIS.tsv with columns index and name, the BIDS dseg.tsv layout), else the "
                                   "label numbers are used.")
    p.add_argument("--input", required=True, help="4-D time series (NIfTI), e.g. denoised BOLD")
    p.add_argument("--rois", required=True, help="ROI label map on the same grid (integers, 0 = none)")
    p.add_argument("--mask", help="brain mask on the same grid; without it every voxel that varies is used")
    p.add_argument("--out-prefix", required=True,
                   help="writes P_netcc.tsv (ROI x ROI r and z) and P_roi-<label>_z.nii.gz per ROI")
    p.set_defaults(func=_run_netcorr)


def _run_netcorr(args) -> int:
    from trialmri.fc.netcorr_files import prefix_outputs, seed_maps, write_seed_maps

    maps, mask, img = seed_maps(args.input, args.rois, args.mask)
    z_paths, netcc = prefix_outputs(args.out_prefix, maps.result.names)
    write_seed_maps(maps, mask, img, z_paths, netcc)
    print(f"{len(z_paths)} ROI(s) ({', '.join(f'{n}: {v} voxels' for n, v in maps.voxels.items())}) x "
          f"{maps.n_mask} voxels x {maps.n_volumes} volumes; wrote {netcc} and "
          f"{args.out_prefix}_roi-<label>_z.nii.gz")
    return 0


def _split(text: str) -> list[str]:
    """A comma-separated option value as its items."""
    return [v.strip() for v in text.split(",") if v.strip()]


def _add_lme(sub) -> None:
    p = sub.add_parser("lme", help="voxelwise linear mixed model, random subject intercept, REML (as 3dLME)",
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
    p.add_argument("--no-resid", action="store_true", help="do not write P_resid.nii.gz")
    p.add_argument("--out-prefix", required=True,
                   help="writes P_stats.nii.gz + P_stats.json (volume list), P_resid.nii.gz, P_fitmask.nii.gz")
    p.set_defaults(func=_run_lme)


def _run_lme(args) -> int:
    from trialmri.lme.lme_files import run_lme_files

    qvars = _split(args.qvars)
    centers = None
    if args.qvar_centers is not None:
        try:
            centers = [float(v) for v in _split(args.qvar_centers)]
        except ValueError:
            raise ValueError(f"--qvar-centers {args.qvar_centers!r}: give numbers separated by commas, one per "
                             "--qvars variable") from None
    meta = run_lme_files(args.table, args.formula, args.random, args.out_prefix, args.mask, qvars,
                         residuals=not args.no_resid, progress=sys.stderr.isatty(), centers=centers)
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


def _add_fwhmx(sub) -> None:
    p = sub.add_parser("fwhmx", help="smoothness of residuals: ACF model fit and classic FWHM (as 3dFWHMx -acf)",
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
    p.add_argument("--out-prefix", required=True,
                   help='writes P.json: {"acf": [a, b, c], "acf_fwhm_mm": .., "fwhm_xyz_mm": [..], ...}')
    p.set_defaults(func=_run_fwhmx)


def _run_fwhmx(args) -> int:
    from trialmri.clusters.cluster_files import run_fwhmx

    out = run_fwhmx(args.input, args.mask, args.out_prefix, detrend=args.detrend, progress=sys.stderr.isatty())
    a, b, c = out["acf"]
    print(f"{out['n_volumes']} volume(s), {out['n_voxels']} voxels, ACF radius {out['radius_mm']:.1f} mm")
    print(" classic FWHM x y z (mm): " + "  ".join(f"{v:.4g}" for v in out["fwhm_xyz_mm"])
          + f"   combined {out['fwhm_combined_mm']:.4g}")
    print(f" ACF a b c: {a:.4g} {b:.4g} {c:.4g}   ACF FWHM {out['acf_fwhm_mm']:.4g} mm")
    print(f"wrote {args.out_prefix}.json")
    return 0


def _add_clustsim(sub) -> None:
    p = sub.add_parser("clustsim", help="Monte Carlo cluster-size thresholds for an ACF (as 3dClustSim -acf)",
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
    p.add_argument("--out-prefix", required=True,
                   help="writes P.json ({NN1: {1-sided|2-sided|bisided: {pthr: {alpha: size}}}}) and "
                        "AFNI-style tables P.NN1_1sided.1D ... P.NN3_bisided.1D")
    p.set_defaults(func=_run_clustsim)


def _run_clustsim(args) -> int:
    from trialmri.clusters.cluster_files import run_clustsim

    out = run_clustsim(args.mask, args.acf, args.pthr, args.athr, args.iter, args.seed, args.out_prefix,
                       workers=args.threads, progress=sys.stderr.isatty(), noise=args.noise)
    print(f"{out['iterations']} fields over {out['mask_voxels']} mask voxels, ACF {' '.join(map(str, args.acf))}")
    for side in ("1-sided", "2-sided", "bisided"):
        row = out["NN1"][side]
        print(f" NN1 {side}: " + "; ".join(f"p {p}: " + ", ".join(f"a {a}: {c}" for a, c in by_a.items())
                                          for p, by_a in row.items()))
    print(f"wrote {args.out_prefix}.json and {args.out_prefix}.NN{{1,2,3}}_{{1sided,2sided,bisided}}.1D")
    return 0


def _add_roi_lme(sub) -> None:
    p = sub.add_parser("roi-lme", help="ROI mixed model: Type III F with Satterthwaite df (as lmerTest / SPSS MIXED)",
                       description="Fit response ~ fixed effects + a random intercept per subject by REML "
                                   "(statsmodels MixedLM) on a long table, one row per observation, and report "
                                   "per term the Type III F with Satterthwaite denominator df and p, as R's "
                                   "anova(lmerTest::lmer(...), type = 3) and SPSS MIXED report them. Rows "
                                   "missing the response or a variable are dropped (counted in the JSON).")
    p.add_argument("--table", required=True, help="long table (TSV): the subject column, the response, the variables")
    p.add_argument("--formula", required=True, help='R style, response first, e.g. "log_crp ~ group * treatment"')
    p.add_argument("--random", default="subject", help="column of the random intercept (default: subject)")
    p.add_argument("--factors", default="", help="comma-separated numeric columns to treat as factors (numeric "
                                                 "columns are covariates otherwise, as R reads them); add "
                                                 "covariates to the formula, e.g. '+ age + race'")
    p.add_argument("--center", default="",
                   help="comma-separated quantitative variables to centre at their mean over the model's rows "
                        "(as 3dLME and the workflow's follow-ups centre covariates; R does not by itself)")
    p.add_argument("--emmeans", default=None,
                   help="comma-separated factors of the marginal means (default: the highest-order term's)")
    p.add_argument("--out", required=True,
                   help="R.tsv: term, F, df_num, df_den, p; also R_coefficients.tsv, R_emmeans.tsv, R.json")
    p.set_defaults(func=_run_roi_lme)


def _run_roi_lme(args) -> int:
    from trialmri.stats.roi_lme_files import output_paths, run_roi_lme_files

    fit = run_roi_lme_files(args.table, args.formula, args.random, args.out, _split(args.factors),
                            None if args.emmeans is None else _split(args.emmeans), center=_split(args.center))
    info = fit.info
    print(f"{info['n_rows']} rows of {info['n_subjects']} subjects ({info['rows_dropped_missing']} dropped for "
          f"missing values); variance subject {info['var_subject']:.4g}, residual {info['var_residual']:.4g}")
    for row in fit.anova.itertuples():
        print(f"  {row.term}: F({row.df_num}, {row.df_den:.2f}) = {row.F:.3f}, p = {row.p:.3g}")
    print("wrote " + ", ".join(str(p) for p in output_paths(args.out).values()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trialmri", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"trialmri {__version__}")
    sub = parser.add_subparsers(dest="program", required=True, metavar="<program>")
    _add_synth(sub)
    _add_tensor(sub)
    _add_topup(sub)
    _add_netcorr(sub)
    _add_lme(sub)
    _add_fwhmx(sub)
    _add_clustsim(sub)
    _add_roi_lme(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_one_blas_thread()  # results never depend on OMP/OPENBLAS_NUM_THREADS (trialmri.blas)
    try:
        return args.func(args)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        print(f"trialmri {args.program}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
