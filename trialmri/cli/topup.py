"""trialmri topup: the susceptibility field from a reverse phase-encoded b0 pair (as FSL topup)."""

from __future__ import annotations


def add(sub, common) -> None:
    p = sub.add_parser("topup", parents=[common],
                       help="susceptibility field from a reverse phase-encoded b0 pair (as FSL topup)",
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
    p.set_defaults(func=run)


def run(args) -> int:
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
