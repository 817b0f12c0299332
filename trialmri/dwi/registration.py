"""Native registration engine (ANTsPy, in-process): sessions, DWI → T1w, T1w → template.

Chain, each step a transform file (ITK/ANTs format: ``.mat`` affine, ``.nii.gz`` warp field):

- post-session mean b0 → pre-session mean b0, rigid (Mattes mutual information);
- pre-session mean b0 → the subject's T1w, rigid (mutual information: b0 is T2-weighted);
- T1w → MNI152 template, affine + SyN, the T1w masked by the DWI brain mask carried into T1w
  space and dilated (``T1W_MASK_DILATION_MM``) so a scalp does not pull on the template's
  skull-stripped brain.

:func:`warp_maps` composes the chain so every map is resampled **once** into the template grid.
ANTs runs single-threaded with a fixed seed (``ants.config.set_ants_deterministic``): the same
inputs give the same bytes; Snakemake parallelises across subjects instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

from trialmri.atomic import writing
from trialmri.bids.derivatives import map_sidecar

# SyN iterations per level, coarse to fine (config dti.syn_iterations): (40, 20, 5). ANTsPy's
# default (40, 20, 0) never refines at the template's voxel size, which leaves ~2 % ROI-mean MD
# error on planted warps; each full-resolution iteration costs ~2.2 CPU-s at 2 mm, and 5 do as
# well as 10 (bench/syn_speed.py, issue 28)
from trialmri.dwi.defaults import SYN_ITERATIONS
from trialmri.io import save_nifti
from trialmri.text_files import write_json
from trialmri.templates import TEMPLATE_NAME

T1W_MASK_DILATION_MM = 8.0
RANDOM_SEED = 20261123


def _ants():
    # one ITK thread, whatever the caller set: the same inputs must give the same bytes at any
    # thread count (a job's threads then serve numpy, not ANTs)
    os.environ["ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"] = "1"
    import ants
    import ants.config

    ants.config.set_ants_deterministic(True, RANDOM_SEED)
    return ants


def ants_version() -> str:
    from importlib.metadata import version

    return f"antspyx {version('antspyx')}"


def _keep(produced: list[str], outputs: list) -> list[str]:
    """Copy ANTs' temporary transform files to their final paths (same order)."""
    if len(produced) != len(outputs):
        raise RuntimeError(f"ANTs wrote {len(produced)} transforms, expected {len(outputs)}: {produced}")
    for src, dst in zip(produced, outputs):
        with writing(dst) as hidden:  # makes the folder; renamed into place when whole
            shutil.copyfile(src, hidden)
    return [str(p) for p in outputs]


def _no_finer_than(ants, image, spacing):
    """``image`` resampled (linear) to ``spacing`` mm when it is finer; transforms are in world mm."""
    if min(image.spacing) < min(spacing) * 0.9:
        return ants.resample_image(image, spacing, use_voxels=False, interp_type=0)
    return image


def register_rigid(fixed_path, moving_path, out_transform, moving_mask_path=None) -> str:
    """Rigid (6 dof) transform taking ``moving`` onto ``fixed``, written as an ITK ``.mat``.

    A fixed image finer than the moving one (a 0.8 mm T1w against a 2 mm b0) is first resampled
    to the moving voxel size: the transform is in world mm, so it holds for the full-resolution
    image, and the metric costs a fraction of the time.
    """
    ants = _ants()
    fixed, moving = ants.image_read(str(fixed_path)), ants.image_read(str(moving_path))
    fixed = _no_finer_than(ants, fixed, moving.spacing)
    kwargs = {}
    if moving_mask_path is not None:
        kwargs["moving_mask"] = ants.image_read(str(moving_mask_path))
    with tempfile.TemporaryDirectory() as tmp:
        result = ants.registration(fixed, moving, type_of_transform="Rigid", outprefix=f"{tmp}/r_",
                                   aff_metric="mattes", **kwargs)
        return _keep(result["fwdtransforms"], [out_transform])[0]


def _t1w_brain(ants, t1w, dwi_mask_path, dwi_to_t1w):
    """The T1w zeroed outside the DWI brain mask (carried into T1w space, dilated by
    ``T1W_MASK_DILATION_MM`` mm)."""
    mask = ants.apply_transforms(t1w, ants.image_read(str(dwi_mask_path)), [str(dwi_to_t1w)],
                                 interpolator="nearestNeighbor").numpy() > 0.5
    # dilate by a distance in mm, whatever the T1w's voxel size
    brain = ndimage.distance_transform_edt(~mask, sampling=t1w.spacing) <= T1W_MASK_DILATION_MM
    return t1w.new_image_like(np.where(brain, t1w.numpy(), 0.0).astype(np.float32))


def register_t1w_to_template(t1w_path, template_path, dwi_mask_path, dwi_to_t1w, out_affine, out_warp,
                             masked_t1w_out=None, syn_iterations=SYN_ITERATIONS) -> list[str]:
    """Affine + SyN from the T1w (masked by the dilated DWI brain mask) to the template.

    A T1w finer than the template is registered at the template's voxel size (world-mm
    transforms hold for the full-resolution image). ANTsPy's "SyN": its Mattes affine stage, then
    SyN with ``syn_iterations`` per level, each level half the resolution of the next, the last at
    the template's voxel size (bench/syn_speed.py: CPU seconds and accuracy of the choices).

    Returns ``[out_warp, out_affine]``, the order ANTs applies them (warp last in the chain).
    """
    ants = _ants()
    t1w = ants.image_read(str(t1w_path))
    template = ants.image_read(str(template_path))
    masked = _t1w_brain(ants, t1w, dwi_mask_path, dwi_to_t1w)
    if masked_t1w_out is not None:
        with writing(masked_t1w_out) as hidden:  # same extension: ANTs picks the format from it
            ants.image_write(masked, str(hidden))
    masked = _no_finer_than(ants, masked, template.spacing)  # the metric lives on the template grid
    with tempfile.TemporaryDirectory() as tmp:
        result = ants.registration(template, masked, type_of_transform="SyN", outprefix=f"{tmp}/t_",
                                   reg_iterations=tuple(syn_iterations))
        return _keep(result["fwdtransforms"], [out_warp, out_affine])


def warp_maps(maps: dict, valid_mask_path, template_path, transforms: list, outputs: dict) -> np.ndarray:
    """Resample each map once into the template grid through the whole transform chain.

    ``maps`` and ``outputs`` map a name to a path; all maps share one grid. ``transforms`` is in
    ANTs' order (template side first: warp, affine, ..., session rigid). Interpolation:

    - inside the brain, where a cubic B-spline's whole support (±2 voxels) is valid data, the
      B-spline value (sharper than trilinear: less partial-volume spill between neighbours);
    - at the edge, trilinear normalised by the resampled validity weight (in-mask and finite in
      every map), so the 0 outside the brain and NaN voxels never blend in;
    - NaN where less than half the trilinear weight comes from valid data.

    Returns the trilinear validity weight on the template grid (0..1).
    """
    ants = _ants()
    transforms = [str(t) for t in transforms]
    template_nib = nib.load(template_path)
    template = ants.image_read(str(template_path))
    reference = ants.image_read(str(next(iter(maps.values()))))
    arrays = {name: nib.load(path).get_fdata() for name, path in maps.items()}
    valid = np.asarray(nib.load(valid_mask_path).dataobj) > 0
    for data in arrays.values():
        valid &= np.isfinite(data)

    def resample(array, interpolator="linear"):
        moving = reference.new_image_like(np.ascontiguousarray(array, np.float32))
        return ants.apply_transforms(template, moving, transforms, interpolator=interpolator).numpy()

    weight = resample(valid.astype(np.float32))
    interior = resample(ndimage.binary_erosion(valid, iterations=1).astype(np.float32)) > 0.999
    for name, data in arrays.items():
        filled = np.where(valid, data, 0.0)
        linear, cubic = resample(filled), resample(filled, "bSpline")
        with np.errstate(invalid="ignore", divide="ignore"):
            result = np.where(interior, cubic, np.where(weight >= 0.5, linear / weight, np.nan))
        save_nifti(outputs[name], result, template_nib.affine,
                   description=f"trialmri {name} in template space ({ants_version()})")
    return weight


def write_warp_sidecar(path, sources: list, template_path, template_name: str = TEMPLATE_NAME,
                       units: str = "MD mm2/s, FA unitless") -> None:
    """Provenance of maps warped by :func:`warp_maps`: engine, versions, sources and chain; the
    defaults name the workflow's template and maps."""
    sidecar = map_sidecar("native", ants_version(), sources, Template=template_name,
                          TemplateFile=str(template_path), TransformOrder="ANTs (last applied first)",
                          Interpolation="cubic B-spline where its support is all valid data; at the "
                                        "brain edge trilinear normalised by the valid-voxel weight; "
                                        "NaN where that weight < 0.5", Units=units)
    write_json(path, sidecar)
