"""FSL engine: the studies' command lines, built with fslpy's wrappers (``fsl.wrappers``).

fslpy assembles each command from keyword arguments exactly as it would run it; here only the
argument list is taken (the wrapped function, file checks off), because the workflow fills the
paths in later and runs the command inside the pinned FSL container. ``fsl_reg`` is a shell script
fslpy does not wrap; its usage line is ``fsl_reg <input> <reference> <output> [-e] [-a] [-FA]``
(``$FSLDIR/bin/fsl_reg``, FSL 6.0), with ``-FA`` selecting ``FA_2_FMRIB58_1mm.cnf``; it writes
``<output>.mat`` (FLIRT affine), ``<output>_warp.nii.gz`` (FNIRT coefficients) and
``<output>.nii.gz``. Paths may be Snakemake placeholders such as ``{input.fa}``.

Distortion / motion / eddy steps (reverse-phase-encoded pair): the series are concatenated
(``fslmerge -t``), their b0s picked (``fslselectvols``) for ``topup`` (susceptibility field, Hz),
``mcflirt`` reports the b0s' rigid motion, and ``eddy`` corrects eddy currents and motion through
topup's field. fslpy's ``fslmerge`` dispatches to private wrapped functions at call time, so its
argv (``fslmerge -t <out> <in1> <in2> ...``) is written out here.
"""

from __future__ import annotations

import inspect
import json

from trialmri.shell_words import join_words, shell_word

# FSL's templates inside the container; the reference grid for each output resolution (mm)
FMRIB58_FA_1MM = "$FSLDIR/data/standard/FMRIB58_FA_1mm"
TEMPLATE_GRID = {1: "$FSLDIR/data/standard/FMRIB58_FA_1mm", 2: "$FSLDIR/data/standard/MNI152_T1_2mm"}
SPACE = "MNI152NLin6Asym"  # FSL's MNI152 (FMRIB58 is aligned to it)
TOPUP_CONFIG = "b02b0.cnf"  # topup's b0 configuration, found in $FSLDIR/etc/flirtsch by name
EDDY_MIN_FSL = "6.0.6"  # first FSL whose ``eddy`` (eddy_cpu) takes --nthr


def _argv(wrapper, *args, **kwargs) -> list[str]:
    import fsl.utils.assertions as assertions
    import fsl.wrappers

    with assertions.disabled():
        return inspect.unwrap(getattr(fsl.wrappers, wrapper))(*args, **kwargs)


def dtifit(dwi: str, mask: str, bval: str, bvec: str, prefix: str) -> str:
    """``dtifit --wls``: writes ``<prefix>_MD``, ``_FA``, ``_L1``, ``_L2``, ``_L3`` (.nii.gz)."""
    return join_words(_argv("dtifit", dwi, prefix, mask, bvec, bval, wls=True))


def tensor_outputs(prefix: str, md: str, fa: str, ad: str, rd: str) -> str:
    """Copy dtifit's maps to our names: AD = L1, RD = (L2 + L3) / 2 (``fslmaths``)."""
    return " && ".join([
        join_words(["fslmaths", f"{prefix}_MD", md]),
        join_words(["fslmaths", f"{prefix}_FA", fa]),
        join_words(["fslmaths", f"{prefix}_L1", ad]),
        join_words(["fslmaths", f"{prefix}_L2", "-add", f"{prefix}_L3", "-div", "2", rd]),
    ])


def dtifit_to_maps(dwi: str, mask: str, bval: str, bvec: str, prefix: str, md: str, fa: str, ad: str,
                   rd: str) -> str:
    """dtifit --wls, our four maps from its outputs, then its intermediate files removed."""
    return " && ".join([dtifit(dwi, mask, bval, bvec, prefix), tensor_outputs(prefix, md, fa, ad, rd),
                        f"rm -f {shell_word(prefix)}_*"])


def flirt_rigid(moving: str, fixed: str, out_mat: str) -> str:
    """``flirt -dof 6``: session co-registration (post FA onto pre FA), FSL text matrix out."""
    return join_words(_argv("flirt", moving, fixed, omat=out_mat, dof=6))


def fsl_reg_fa(fa: str, prefix: str) -> str:
    """Non-linear registration of an FA map to FMRIB58_FA_1mm (as TBSS runs it)."""
    return join_words(["fsl_reg", fa, FMRIB58_FA_1MM, prefix, "-e", "-FA"])


def applywarp(moving: str, warp: str, out: str, resolution_mm: int, premat: str | None = None) -> str:
    """One trilinear resampling to the template grid through [premat then] the FNIRT warp."""
    kwargs = {"warp": warp, "interp": "trilinear"}
    if premat is not None:
        kwargs["premat"] = premat
    return join_words(_argv("applywarp", moving, TEMPLATE_GRID[resolution_mm], out, **kwargs))


def sidecar_json(container: str, sources) -> str:
    """Provenance of a map warped by FSL, as the JSON text the rule writes beside it."""
    from trialmri.bids.derivatives import map_sidecar

    return json.dumps(map_sidecar("fsl", f"FSL applywarp ({container})", list(sources),
                                  Template="FMRIB58_FA_1mm via fsl_reg; grid " + SPACE,
                                  Interpolation="trilinear", Units="MD mm2/s, FA unitless"))


def merge_series(dwis, out: str) -> str:
    """``fslmerge -t``: the series concatenated in order (eddy's --imain; index.txt follows it)."""
    return join_words(["fslmerge", "-t", out, *dwis])


def select_vols(image: str, vols, out: str) -> str:
    """``fslselectvols``: volumes ``vols`` (0-based ints, or a comma list / placeholder) of ``image``."""
    return join_words(_argv("fslselectvols", image, out, vols))


def merge_b0s(dwis, b0_vols, merged_dwi: str, b0s: str) -> str:
    """Concatenate the series, then take their b0s (0-based indices in the merged series) for topup.

    The b0 order must match topup's datain rows (``acqparams.write_fsl_files``'s ``n_b0``).
    """
    return " && ".join([merge_series(dwis, merged_dwi), select_vols(merged_dwi, b0_vols, b0s)])


def topup(b0s: str, datain: str, prefix: str, field_hz: str, corrected_b0: str) -> str:
    """``topup --config=b02b0.cnf``: writes ``<prefix>_fieldcoef.nii.gz``, ``<prefix>_movpar.txt``,
    the field map (Hz) and the corrected b0s."""
    return join_words(_argv("topup", b0s, datain, config=TOPUP_CONFIG, out=prefix, fout=field_hz,
                            iout=corrected_b0))


def applytopup(image: str, datain: str, index: int, topup_prefix: str, out: str) -> str:
    """``applytopup --method=jac``: one series (datain row ``index``, 1-based) unwarped by topup."""
    return join_words(_argv("applytopup", image, datain, str(index), topup_prefix, out, method="jac"))


def eddy(dwi: str, mask: str, acqp: str, index: str, bvecs: str, bvals: str, topup_prefix: str,
         out_prefix: str, nthr, repol: bool = True) -> str:
    """``eddy`` through topup's field, ``--repol`` replacing outlier slices (``<out>.eddy_outlier_map``).

    ``--nthr`` (threads) needs FSL >= EDDY_MIN_FSL (6.0.6), where ``eddy`` runs eddy_cpu or eddy_cuda.
    Writes ``<out>.nii.gz``, ``<out>.eddy_rotated_bvecs``, ``<out>.eddy_parameters`` among others.
    """
    kwargs = {"topup": topup_prefix, "nthr": str(nthr)}
    if repol:
        kwargs["repol"] = True
    return join_words(_argv("eddy", dwi, mask, index, acqp, bvecs, bvals, out_prefix, **kwargs))


def mcflirt(b0s: str, out: str, refvol: int = 0) -> str:
    """``mcflirt -plots``: rigid motion of the b0s to volume ``refvol``; writes ``<out>.par``
    (per volume: 3 rotations in rad, then 3 translations in mm)."""
    return join_words(_argv("mcflirt", b0s, out=out, refvol=refvol, plots=True))


def eddy_outputs(out_prefix: str, bval_in: str, dwi: str, bvec: str, bval: str, parameters: str,
                 outlier_map: str) -> str:
    """Copy eddy's outputs to our names: corrected series, rotated bvecs, bvals (unchanged),
    motion/eddy parameters and outlier map (assumes FSLOUTPUTTYPE=NIFTI_GZ)."""
    return " && ".join(join_words(["cp", src, dst]) for src, dst in [
        (f"{out_prefix}.nii.gz", dwi), (f"{out_prefix}.eddy_rotated_bvecs", bvec), (bval_in, bval),
        (f"{out_prefix}.eddy_parameters", parameters), (f"{out_prefix}.eddy_outlier_map", outlier_map)])
