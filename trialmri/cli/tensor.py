"""trialmri tensor: weighted least-squares diffusion tensor maps from a DWI series (as dtifit --wls)."""

from __future__ import annotations

import sys

from trialmri.cli.options import add_mask_threshold


def add(sub, common) -> None:
    p = sub.add_parser("tensor", parents=[common],
                       help="weighted least-squares diffusion tensor fit (as dtifit --wls)",
                       description="Fit a diffusion tensor in every voxel by weighted least squares (OLS "
                                   "start, weights = squared predicted signal, as FSL dtifit --wls and "
                                   "DIPY WLS) and write MD, FA, AD, RD. Diffusivities are in the inverse "
                                   "units of the b-values (mm²/s for s/mm²). Voxels where no fit is "
                                   "possible are NaN and counted in P_qc.tsv; voxels outside --mask are 0.")
    p.add_argument("--dwi", required=True, help="4-D DWI series (NIfTI)")
    p.add_argument("--bval", required=True, help="b-values, FSL layout (one row, s/mm²)")
    p.add_argument("--bvec", required=True, help="b-vectors, FSL layout (3 rows; N x 3 is transposed)")
    p.add_argument("--mask", help="brain mask on the DWI grid; without it every voxel is fitted")
    add_mask_threshold(p)
    p.add_argument("--out-prefix", required=True, help="writes P_md, P_fa, P_ad, P_rd .nii.gz and P_qc.tsv")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.dwi.tensor import METRICS
    from trialmri.dwi.tensor_files import fit_tensor_files

    prefix = args.out_prefix
    outputs = {m: f"{prefix}_{m}.nii.gz" for m in METRICS}
    fit = fit_tensor_files(args.dwi, args.bval, args.bvec, outputs, mask_path=args.mask,
                           mask_threshold=args.mask_threshold,
                           qc_path=f"{prefix}_qc.tsv", progress=sys.stderr.isatty())
    c = fit.counts
    print(f"fitted {c['n_fitted']} of {c['n_mask']} voxels (no signal {c['no_signal']}, too few volumes "
          f"{c['too_few_volumes']}, rank-deficient {c['rank_deficient']}; negative eigenvalue "
          f"{c['negative_eigenvalue']}); wrote {prefix}_{{md,fa,ad,rd}}.nii.gz and {prefix}_qc.tsv")
    return 0
