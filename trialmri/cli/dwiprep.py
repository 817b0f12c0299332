"""trialmri dwiprep: one DWI session's native corrections (field, motion, eddy, bvecs, outliers)."""

from __future__ import annotations

from trialmri.cli.options import step_messages
from trialmri.dwi.defaults import MOTION_ITERATIONS as DEFAULT_ITERATIONS


def add(sub, common) -> None:
    p = sub.add_parser("dwiprep", parents=[common],
                       help="native DWI corrections of one session: field, motion, eddy, bvecs, outliers",
                       description="Correct one DWI session from its two reverse phase-encoded series, as "
                                   "the workflow's correct_dwi rule (same files, same bytes): the "
                                   "susceptibility field from the first b0 of each series (as topup), "
                                   "motion and eddy currents (b0s rigid, DW volumes affine to their "
                                   "leave-one-out prediction), b-vectors rotated, slice dropouts flagged, "
                                   "every volume resampled once. Two full series with matching gradient "
                                   "tables are averaged pairwise (Jacobian weights), otherwise "
                                   "concatenated; with --reverse-b0 (a b0-only fmap/ series) that series "
                                   "gives the field only and the --dwi series is corrected alone. Each "
                                   "series' .bval, .bvec and .json are taken beside its image (BIDS "
                                   "naming: X_dwi.nii.gz -> X_dwi.bval) unless given; the JSON must hold "
                                   "PhaseEncodingDirection and TotalReadoutTime (or EffectiveEchoSpacing).")
    p.add_argument("--dwi", nargs="+", required=True, metavar="NII",
                   help="the two DWI series (e.g. dir-AP and dir-PA), or one with --reverse-b0; series are "
                        "named by their dir- entity, else by their phase-encoding direction")
    p.add_argument("--bval", nargs="+", metavar="BVAL", help="b-values, one file per --dwi in the same order "
                                                            "(default: the .bval beside each image)")
    p.add_argument("--bvec", nargs="+", metavar="BVEC", help="b-vectors, one file per --dwi in the same order "
                                                            "(default: the .bvec beside each image)")
    p.add_argument("--json", nargs="+", metavar="JSON", help="BIDS sidecars, one per --dwi in the same order "
                                                            "(default: the .json beside each image)")
    p.add_argument("--reverse-b0", metavar="NII",
                   help="b0-only series of the opposite phase encoding (fmap/*_dir-PA_epi.nii.gz): the field "
                        "only; needs one --dwi")
    p.add_argument("--reverse-b0-json", metavar="JSON",
                   help="sidecar of --reverse-b0 (default: the .json beside it)")
    p.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS, metavar="N",
                   help=f"motion/eddy rounds (config dti.corrections.iterations; default {DEFAULT_ITERATIONS})")
    p.add_argument("--title", help="title of the two figures (default: the name of --out-prefix)")
    p.add_argument("--out-prefix", required=True, metavar="P",
                   help="writes P_dwi.nii.gz, P_dwi.bval, P_dwi.bvec, P_dwi.json (corrected series, "
                        "rotated b-vectors, provenance), P_field_hz.nii.gz (field, Hz), "
                        "P_displacement_mm.nii.gz (PE displacement of the + series, mm), P_motion.tsv "
                        "(per-volume motion and eddy terms), P_outliers.tsv (dropout slices), P_field.png "
                        "and P_motion.png (QC figures)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from trialmri.dwi.dwiprep_files import check_inputs, dwiprep_files, summary

    named = check_inputs(args.dwi, args.bval, args.bvec, args.json, args.reverse_b0, args.reverse_b0_json,
                         args.iterations)
    progress = step_messages("dwiprep")
    title = args.title if args.title is not None else Path(args.out_prefix).name
    result = dwiprep_files(named, args.out_prefix, args.iterations, title=title, progress=progress)
    print(summary(result, args.out_prefix))
    return 0
