"""FSL engine: the studies' command lines, built with fslpy's wrappers (``fsl.wrappers``).

fslpy assembles each command from keyword arguments exactly as it would run it; here only the
argument list is taken (the wrapped function, file checks off), because the workflow fills the
paths in later and runs the command inside the pinned FSL container. ``fsl_reg`` is a shell script
fslpy does not wrap; its usage line is ``fsl_reg <input> <reference> <output> [-e] [-a] [-FA]``
(``$FSLDIR/bin/fsl_reg``, FSL 6.0), with ``-FA`` selecting ``FA_2_FMRIB58_1mm.cnf``; it writes
``<output>.mat`` (FLIRT affine), ``<output>_warp.nii.gz`` (FNIRT coefficients) and
``<output>.nii.gz``. Paths may be Snakemake placeholders such as ``{input.fa}``.
"""

from __future__ import annotations

import inspect
import json
import shlex

# FSL's templates inside the container; the reference grid for each output resolution (mm)
FMRIB58_FA_1MM = "$FSLDIR/data/standard/FMRIB58_FA_1mm"
TEMPLATE_GRID = {1: "$FSLDIR/data/standard/FMRIB58_FA_1mm", 2: "$FSLDIR/data/standard/MNI152_T1_2mm"}
SPACE = "MNI152NLin6Asym"  # FSL's MNI152 (FMRIB58 is aligned to it)


def _argv(wrapper, *args, **kwargs) -> list[str]:
    import fsl.utils.assertions as assertions
    import fsl.wrappers

    with assertions.disabled():
        return inspect.unwrap(getattr(fsl.wrappers, wrapper))(*args, **kwargs)


def _join(argv: list[str]) -> str:
    """Shell words; placeholders and ``$FSLDIR`` stay unquoted so they expand."""
    return " ".join(a if ("{" in a or "$" in a) else shlex.quote(a) for a in argv)


def dtifit(dwi: str, mask: str, bval: str, bvec: str, prefix: str) -> str:
    """``dtifit --wls``: writes ``<prefix>_MD``, ``_FA``, ``_L1``, ``_L2``, ``_L3`` (.nii.gz)."""
    return _join(_argv("dtifit", dwi, prefix, mask, bvec, bval, wls=True))


def tensor_outputs(prefix: str, md: str, fa: str, ad: str, rd: str) -> str:
    """Copy dtifit's maps to our names: AD = L1, RD = (L2 + L3) / 2 (``fslmaths``)."""
    return " && ".join([
        _join(["fslmaths", f"{prefix}_MD", md]),
        _join(["fslmaths", f"{prefix}_FA", fa]),
        _join(["fslmaths", f"{prefix}_L1", ad]),
        _join(["fslmaths", f"{prefix}_L2", "-add", f"{prefix}_L3", "-div", "2", rd]),
    ])


def dtifit_to_maps(dwi: str, mask: str, bval: str, bvec: str, prefix: str, md: str, fa: str, ad: str,
                   rd: str) -> str:
    """dtifit --wls, our four maps from its outputs, then its intermediate files removed."""
    return " && ".join([dtifit(dwi, mask, bval, bvec, prefix), tensor_outputs(prefix, md, fa, ad, rd),
                        f"rm -f {prefix}_*"])


def flirt_rigid(moving: str, fixed: str, out_mat: str) -> str:
    """``flirt -dof 6``: session co-registration (post FA onto pre FA), FSL text matrix out."""
    return _join(_argv("flirt", moving, fixed, omat=out_mat, dof=6))


def fsl_reg_fa(fa: str, prefix: str) -> str:
    """Non-linear registration of an FA map to FMRIB58_FA_1mm (as TBSS runs it)."""
    return _join(["fsl_reg", fa, FMRIB58_FA_1MM, prefix, "-e", "-FA"])


def applywarp(moving: str, warp: str, out: str, resolution_mm: int, premat: str | None = None) -> str:
    """One trilinear resampling to the template grid through [premat then] the FNIRT warp."""
    kwargs = {"warp": warp, "interp": "trilinear"}
    if premat is not None:
        kwargs["premat"] = premat
    return _join(_argv("applywarp", moving, TEMPLATE_GRID[resolution_mm], out, **kwargs))


def sidecar_json(container: str, sources) -> str:
    """Provenance of a map warped by FSL, as the JSON text the rule writes beside it."""
    from trialmri.bids.derivatives import map_sidecar

    return json.dumps(map_sidecar("fsl", f"FSL applywarp ({container})", list(sources),
                                  Template="FMRIB58_FA_1mm via fsl_reg; grid " + SPACE,
                                  Interpolation="trilinear", Units="MD mm2/s, FA unitless"))
