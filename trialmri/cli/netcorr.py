"""trialmri netcorr: seed-to-voxel Fisher z maps per ROI label (as 3dNetCorr -fish_z -ts_wb_Z)."""

from __future__ import annotations

from trialmri.cli.options import add_mask_threshold


def add(sub, common) -> None:
    p = sub.add_parser("netcorr", parents=[common],
                       help="seed-to-voxel Pearson r and Fisher z maps per ROI label (as 3dNetCorr)",
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
    add_mask_threshold(p)
    p.add_argument("--out-prefix", required=True,
                   help="writes P_netcc.tsv (ROI x ROI r and z) and P_roi-<label>_z.nii.gz per ROI")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.fc.netcorr_files import prefix_outputs, seed_maps, write_seed_maps

    maps, mask, img = seed_maps(args.input, args.rois, args.mask, args.mask_threshold)
    z_paths, netcc = prefix_outputs(args.out_prefix, maps.result.names)
    write_seed_maps(maps, mask, img, z_paths, netcc)
    print(f"{len(z_paths)} ROI(s) ({', '.join(f'{n}: {v} voxels' for n, v in maps.voxels.items())}) x "
          f"{maps.n_mask} voxels x {maps.n_volumes} volumes; wrote {netcc} and "
          f"{args.out_prefix}_roi-<label>_z.nii.gz")
    return 0
