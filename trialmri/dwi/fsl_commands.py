"""FSL engine: the studies' command lines, as argument lists written from each program's usage.

The argument lists are the ones fslpy's wrappers (``fsl.wrappers``, 3.29) build for the same
keyword arguments (``--name=value`` options for the FDT/topup/eddy/FNIRT tools, ``-name value`` for
FLIRT/MCFLIRT), written out here with the standard library only so the workflow parses without
fslpy; the workflow fills the paths in later and runs the command inside the pinned FSL container.
``fsl_reg`` is a shell script; its usage line is ``fsl_reg <input> <reference> <output> [-e] [-a] [-FA]``
(``$FSLDIR/bin/fsl_reg``, FSL 6.0), with ``-FA`` selecting ``FA_2_FMRIB58_1mm.cnf``; it writes
``<output>.mat`` (FLIRT affine), ``<output>_warp.nii.gz`` (FNIRT coefficients) and
``<output>.nii.gz``. Paths may be Snakemake placeholders such as ``{input.fa}``.

Distortion / motion / eddy steps (reverse-phase-encoded pair): the series are concatenated
(``fslmerge -t``), their b0s picked (``fslselectvols``) for ``topup`` (susceptibility field, Hz),
``mcflirt`` reports the b0s' rigid motion, and ``eddy`` corrects eddy currents and motion through
topup's field (``fslmerge -t <out> <in1> <in2> ...``).

The commands follow the FSL version of the pinned image (``containers.fsl``, read from its tag by
:func:`fsl_version`): FSL 6.0.4 ships ``eddy_openmp`` (threads from ``OMP_NUM_THREADS``) and no
``--nthr``; from 6.0.6 ``eddy`` runs eddy_cpu, which takes ``--nthr`` and ignores OMP_NUM_THREADS.

Where each program and option is documented for the pinned image (docker://brainlife/fsl:6.0.4-patched2):

* the image: github.com/brainlife/dockerfiles fsl-6.0.4/{Dockerfile,build.sh}
  @ c4ef94fc9b59a58281e5c23ee0106018c71db337
  (``build.sh`` pushes tag ``6.0.4-patched2``; the Dockerfile installs FSL 6.0.4 with fslinstaller.py,
  sets FSLOUTPUTTYPE=NIFTI_GZ, and puts FSL 5.0.8's ``topup`` binary (``fsl5/topup``) first on PATH).
* usage of each program in that image: the Boutiques descriptors of github.com/styx-api/niwrap
  descriptors/fsl/<program>.json @ 18249a9600e18d3695c9ebe45458d94267c61c27 ("tool-version": "6.0.4",
  "container-image": brainlife/fsl:6.0.4-patched2); transcribed in tests/reference/fsl_6_0_4_usage.py.
* ``fslmerge -t``: niwrap fslmerge.json (``-t`` concatenate in time; ``fslmerge <-x/y/z/t/a/tr> <out> <in...>``).
* ``fslselectvols -i -o --vols``: niwrap fslselectvols.json; nipype epi.py EddyQuad doc uses the same form.
* ``topup --imain --datain --config --out --fout --iout``: option names in the image's topup (FSL
  5.0.8, brainlife/dockerfiles fsl-6.0.4/fsl5/topup @ c4ef94fc, ``strings``: --imain --datain --out
  --fout --iout --config ...; no --nthr) and niwrap topup.json; ``--config=b02b0.cnf`` as in the eddy
  users guide (https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/eddy/UsersGuide), the file found by name in
  ``$FSLDIR/etc/flirtsch``.
* ``applytopup --method=jac``: niwrap applytopup.json (--imain --datain --inindex --topup --out --method).
* ``mcflirt -in -out -refvol -plots``: niwrap mcflirt.json (``-plots`` writes <out>.par).
* ``fslmaths -Tmean``, ``-add``, ``-div``: fslmaths usage (FSL 6.0), niwrap fslmaths.json (operations).
* ``bet <in> <out> -m -f``: niwrap bet.json (``-m`` binary mask, ``-f`` fractional intensity threshold).
* ``eddy_openmp --imain --mask --acqp --index --bvecs --bvals --topup --out --repol``: niwrap
  eddy_openmp.json (6.0.4: no --nthr); the eddy users guide of that era lists eddy_openmp / eddy_cuda
  and "no longer an executable named eddy"; nipype nipype/interfaces/fsl/epi.py
  @ dc8e1cdda70dca5925836685026aaa3c97765ea5 runs ``eddy_openmp`` with OMP_NUM_THREADS=<num_threads>.
* ``eddy --nthr`` (>= 6.0.6): FSL 6.0.6 replaced eddy_openmp by eddy_cpu
  (https://github.com/Washington-University/HCPpipelines/issues/264, citing the 6.0.6 release notes
  https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/WhatsNew?action=AttachFile&do=get&target=6.0.6.md); eddy_cpu's
  threads are ``--nthr=n`` (https://fsl.fmrib.ox.ac.uk/fsl/docs/diffusion/eddy/users_guide/), and it
  ignores OMP_NUM_THREADS (https://github.com/PennLINC/qsiprep/pull/743, nipy/nipype#3721).
* ``dtifit --wls``: niwrap dtifit.json (``-w,--wls``; -k/--data -o/--out -m/--mask -r/--bvecs -b/--bvals).
* ``flirt -in -ref -omat -dof``: niwrap flirt.json.
* ``fsl_reg <in> <ref> <out> -e -FA``: niwrap fsl_reg.json ($FSLDIR/bin/fsl_reg; -FA uses
  FA_2_FMRIB58_1mm.cnf).
* ``applywarp --in --ref --out --warp --premat --interp``: niwrap applywarp.json.
* ``$FSLDIR/data/standard/FMRIB58_FA_1mm``, ``MNI152_T1_2mm``: FSL's standard images, the TBSS target
  (https://fsl.fmrib.ox.ac.uk/fsl/fslwiki/TBSS/UserGuide, ``tbss_2_reg -T``) and the MNI152 2 mm grid,
  installed by fslinstaller.py under $FSLDIR/data/standard.
"""

from __future__ import annotations

import json
import os
import re

from trialmri.shell_words import join_words, shell_word

# FSL's templates inside the container; the reference grid for each output resolution (mm)
FMRIB58_FA_1MM = "$FSLDIR/data/standard/FMRIB58_FA_1mm"
TEMPLATE_GRID = {1: "$FSLDIR/data/standard/FMRIB58_FA_1mm", 2: "$FSLDIR/data/standard/MNI152_T1_2mm"}
SPACE = "MNI152NLin6Asym"  # FSL's MNI152 (FMRIB58 is aligned to it)
TOPUP_CONFIG = "b02b0.cnf"  # topup's b0 configuration, found in $FSLDIR/etc/flirtsch by name
EDDY_NTHR_FSL = (6, 0, 6)  # first FSL whose ``eddy`` (eddy_cpu) takes --nthr; before it, eddy_openmp
PINNED_EXAMPLE = "docker://brainlife/fsl:6.0.4-patched2"


def fsl_version(container: str) -> tuple[int, int, int]:
    """The FSL version (major, minor, patch) the image's tag starts with:
    ``docker://brainlife/fsl:6.0.4-patched2`` -> (6, 0, 4). A tag that does not start with a version
    is a config error: the command lines depend on it, so there is no default."""
    name = str(container).rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name and "@" not in name else ""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)(?!\d)", tag)
    if match is None:
        raise ValueError(
            f"config containers.fsl: cannot read the FSL version from the image {container!r}: its tag "
            "must start with the FSL version (major.minor.patch), because the FSL engine builds eddy's "
            "command line from it (eddy_openmp with OMP_NUM_THREADS before FSL 6.0.6, eddy --nthr from "
            "6.0.6). Set containers.fsl to an image whose tag starts with its FSL version, e.g. "
            f"{PINNED_EXAMPLE}")
    return tuple(int(part) for part in match.groups())


def _options(style: str, **options) -> list[str]:
    """Options in keyword order as fslpy's ``applyArgStyle`` writes them: ``style`` ``"--="`` gives
    ``--name=value``, ``"-"`` gives ``-name value``; True gives the bare flag."""
    words: list[str] = []
    for name, value in options.items():
        flag = f"{style.rstrip('=')}{name}"
        if value is True:
            words.append(flag)
        elif style.endswith("="):
            words.append(f"{flag}={value}")
        else:
            words += [flag, str(value)]
    return words


def dtifit(dwi: str, mask: str, bval: str, bvec: str, prefix: str) -> str:
    """``dtifit --wls``: writes ``<prefix>_MD``, ``_FA``, ``_L1``, ``_L2``, ``_L3`` (.nii.gz)."""
    return join_words(["dtifit", *_options("--=", data=dwi, out=prefix, mask=mask, bvecs=bvec, bvals=bval,
                                           wls=True)])


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
    return join_words(["flirt", *_options("-", **{"in": moving}, ref=fixed, omat=out_mat, dof=6)])


def fsl_reg_fa(fa: str, prefix: str) -> str:
    """Non-linear registration of an FA map to FMRIB58_FA_1mm (as TBSS runs it)."""
    return join_words(["fsl_reg", fa, FMRIB58_FA_1MM, prefix, "-e", "-FA"])


def applywarp(moving: str, warp: str, out: str, resolution_mm: int, premat: str | None = None) -> str:
    """One trilinear resampling to the template grid through [premat then] the FNIRT warp."""
    kwargs = {"warp": warp, "interp": "trilinear"}
    if premat is not None:
        kwargs["premat"] = premat
    return join_words(["applywarp", *_options("--=", **{"in": moving}, ref=TEMPLATE_GRID[resolution_mm],
                                              out=out, **kwargs)])


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
    if not isinstance(vols, (str, os.PathLike)):
        vols = ",".join(str(v) for v in vols)
    return join_words(["fslselectvols", "-i", image, "-o", out, f"--vols={vols}"])


def merge_b0s(dwis, b0_vols, merged_dwi: str, b0s: str) -> str:
    """Concatenate the series, then take their b0s (0-based indices in the merged series) for topup.

    The b0 order must match topup's datain rows (``acqparams.write_fsl_files``'s ``n_b0``).
    """
    return " && ".join([merge_series(dwis, merged_dwi), select_vols(merged_dwi, b0_vols, b0s)])


def topup(b0s: str, datain: str, prefix: str, field_hz: str, corrected_b0: str) -> str:
    """``topup --config=b02b0.cnf``: writes ``<prefix>_fieldcoef.nii.gz``, ``<prefix>_movpar.txt``,
    the field map (Hz) and the corrected b0s."""
    return join_words(["topup", *_options("--=", imain=b0s, datain=datain, config=TOPUP_CONFIG, out=prefix,
                                          fout=field_hz, iout=corrected_b0)])


def applytopup(image: str, datain: str, index: int, topup_prefix: str, out: str) -> str:
    """``applytopup --method=jac``: one series (datain row ``index``, 1-based) unwarped by topup."""
    return join_words(["applytopup", *_options("--=", imain=image, datain=datain, inindex=index,
                                               topup=topup_prefix, out=out, method="jac")])


def eddy(dwi: str, mask: str, acqp: str, index: str, bvecs: str, bvals: str, topup_prefix: str,
         out_prefix: str, nthr, *, fsl_version: tuple[int, int, int], repol: bool = True) -> str:
    """eddy through topup's field, ``--repol`` replacing outlier slices (``<out>.eddy_outlier_map``),
    on ``nthr`` threads as the image's FSL (``fsl_version``) takes them: ``eddy --nthr=N`` from
    EDDY_NTHR_FSL (6.0.6, eddy_cpu), else ``OMP_NUM_THREADS=N eddy_openmp`` (FSL 6.0.4 has no --nthr).
    Writes ``<out>.nii.gz``, ``<out>.eddy_rotated_bvecs``, ``<out>.eddy_parameters`` among others.
    """
    kwargs = {"topup": topup_prefix}
    if repol:
        kwargs["repol"] = True
    if tuple(fsl_version) >= EDDY_NTHR_FSL:
        kwargs["nthr"] = str(nthr)
    argv = ["eddy", *_options("--=", imain=dwi, mask=mask, index=index, acqp=acqp, bvecs=bvecs, bvals=bvals,
                              out=out_prefix, **kwargs)]
    if tuple(fsl_version) >= EDDY_NTHR_FSL:
        return join_words(argv)
    return join_words([f"OMP_NUM_THREADS={nthr}", "eddy_openmp", *argv[1:]])


def mcflirt(b0s: str, out: str, refvol: int = 0) -> str:
    """``mcflirt -plots``: rigid motion of the b0s to volume ``refvol``; writes ``<out>.par``
    (per volume: 3 rotations in rad, then 3 translations in mm)."""
    return join_words(["mcflirt", *_options("-", **{"in": b0s}, out=out, refvol=refvol, plots=True)])


def eddy_outputs(out_prefix: str, bval_in: str, dwi: str, bvec: str, bval: str, parameters: str,
                 outlier_map: str) -> str:
    """Copy eddy's outputs to our names: corrected series, rotated bvecs, bvals (unchanged),
    motion/eddy parameters and outlier map (assumes FSLOUTPUTTYPE=NIFTI_GZ)."""
    return " && ".join(join_words(["cp", src, dst]) for src, dst in [
        (f"{out_prefix}.nii.gz", dwi), (f"{out_prefix}.eddy_rotated_bvecs", bvec), (bval_in, bval),
        (f"{out_prefix}.eddy_parameters", parameters), (f"{out_prefix}.eddy_outlier_map", outlier_map)])


def b0_brain_mask(b0s: str, mean: str, brain: str, frac: float = 0.2) -> str:
    """The b0s' mean (``fslmaths -Tmean``) and its ``bet -m -f`` brain mask (``<brain>_mask``)."""
    return " && ".join([join_words(["fslmaths", b0s, "-Tmean", mean]),
                        join_words(["bet", mean, brain, "-m", "-f", str(frac)])])


def corrections(directions, fsl_version: tuple[int, int, int]) -> str:
    """The correct_dwi rule's FSL chain, with its placeholders: topup on the b0s of the merged series
    (``{input.nii_<dir>}`` in ``directions`` order, b0 indices ``{params.b0_volumes}``, datain
    ``{input.b0_acqparams}``), mcflirt on the b0s, a mean-b0 brain mask, eddy on
    ``{params.eddy_series}`` on ``{threads}`` threads as ``fsl_version`` runs them, its outputs copied
    to ours; work files under ``{params.work}_*`` (in ``{params.work_dir}``), removed at the end."""
    work = "{params.work}"
    return " && ".join([
        join_words(["mkdir", "-p", "{params.work_dir}"]),
        merge_b0s([f"{{input.nii_{d}}}" for d in directions], "{params.b0_volumes}", f"{work}_merged",
                  f"{work}_b0s"),
        topup(f"{work}_b0s", "{input.b0_acqparams}", f"{work}_topup", "{output.field}",
              f"{work}_b0corrected"),
        mcflirt(f"{work}_b0s", f"{work}_mcflirt"),
        join_words(["cp", f"{work}_mcflirt.par", "{output.b0_motion}"]),
        b0_brain_mask(f"{work}_b0corrected", f"{work}_b0mean", f"{work}_brain"),
        eddy("{params.eddy_series}", f"{work}_brain_mask", "{input.acqparams}", "{input.index}",
             "{input.merged_bvec}", "{input.merged_bval}", f"{work}_topup", f"{work}_eddy", "{threads}",
             fsl_version=fsl_version),
        eddy_outputs(f"{work}_eddy", "{input.merged_bval}", "{output.dwi}", "{output.bvec}",
                     "{output.bval}", "{output.parameters}", "{output.outlier_map}"),
        f"rm -f {shell_word(work)}_*",
    ])
