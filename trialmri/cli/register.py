"""trialmri register: the native registration chain b0 -> T1w -> template, and maps into the template."""

from __future__ import annotations

from trialmri.cli.options import step_messages
from trialmri.dwi.defaults import SYN_ITERATIONS

SYN_DEFAULT = ",".join(map(str, SYN_ITERATIONS))


def add(sub, common) -> None:
    p = sub.add_parser("register", parents=[common],
                       help="native registration chain: b0 -> T1w (rigid) -> template (affine + SyN)",
                       description="Register a DWI session to a template as the workflow's native engine "
                                   "does (ANTsPy, one thread, fixed seed: the same inputs give the same "
                                   "bytes): the mean b0 rigid to the T1w (Mattes mutual information), "
                                   "then the T1w, masked by the b0 brain mask carried into T1w space and "
                                   "dilated 8 mm, affine + SyN to the template. With --maps each map (on "
                                   "the --b0 grid, e.g. MD and FA) is resampled once into the template "
                                   "through the composed chain (cubic B-spline inside the brain, "
                                   "trilinear normalised by the valid-voxel weight at its edge, NaN "
                                   "outside). With --session-b0/--session-mask a second session of the "
                                   "same subject is registered rigidly to --b0 and its --session-maps go "
                                   "through that rigid too, so both sessions share one T1w -> template "
                                   "warp, as in the workflow. Transforms are ITK/ANTs files (.mat affine, "
                                   ".nii.gz warp).")
    p.add_argument("--b0", required=True, help="mean b0 of the DWI session (3-D), e.g. from the workflow's "
                                               "desc-meanb0_dwiref")
    p.add_argument("--dwi-mask", required=True, help="brain mask on the --b0 grid (0/1): masks the T1w and "
                                                     "marks the valid voxels of --maps")
    p.add_argument("--t1w", required=True, help="the subject's T1-weighted image (3-D, with skull is fine)")
    p.add_argument("--template", required=True,
                   help="template T1w (3-D), the grid every map is resampled onto (e.g. the workflow's "
                        "templates/tpl-MNI152NLin2009aSym_res-2_T1w.nii.gz)")
    p.add_argument("--maps", nargs="+", metavar="NII", help="maps on the --b0 grid to resample into the "
                                                           "template (e.g. MD and FA)")
    p.add_argument("--session-b0", metavar="NII", help="mean b0 of another session of the subject, "
                                                       "registered rigidly to --b0")
    p.add_argument("--session-mask", metavar="NII", help="brain mask on the --session-b0 grid (valid voxels "
                                                         "of --session-maps)")
    p.add_argument("--session-maps", nargs="+", metavar="NII",
                   help="maps on the --session-b0 grid to resample into the template")
    p.add_argument("--syn-iterations", default=SYN_DEFAULT, metavar="N,N,N",
                   help=f"SyN iterations per level, coarse to fine (config dti.syn_iterations; default "
                        f"{SYN_DEFAULT})")
    p.add_argument("--out-prefix", required=True, metavar="P",
                   help="writes P_b0_to_T1w_rigid.mat, P_T1w_to_template_affine.mat, "
                        "P_T1w_to_template_warp.nii.gz, P_T1w_masked.nii.gz (the T1w the SyN saw), "
                        "with --session-b0 P_session_to_b0_rigid.mat, and for each map M.nii.gz "
                        "P_M_template.nii.gz and P_M_template.json (sources, chain, interpolation)")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.dwi.register_files import check_inputs, register_files

    inputs = check_inputs(args.b0, args.dwi_mask, args.t1w, args.template, args.maps, args.session_b0,
                          args.session_mask, args.session_maps, args.syn_iterations)
    progress = step_messages("register")
    done = register_files(inputs, args.out_prefix, progress=progress)
    maps = [*inputs.maps, *inputs.session_maps]
    data = "; ".join(f"{n} template voxels with data ({k.replace('_', ' ')})"
                     for k, n in done.voxels_with_data.items())
    print(f"b0 -> T1w -> template (SyN {','.join(map(str, inputs.syn_iterations))})"
          f"{' with the session rigid' if inputs.session_b0 else ''}; "
          f"{len(maps)} map(s) resampled{': ' + data if data else ''}; wrote {len(done.outputs)} files "
          f"{args.out_prefix}_*: {', '.join(sorted(p.rsplit('/', 1)[-1] for p in done.outputs.values()))}")
    return 0
