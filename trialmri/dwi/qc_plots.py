"""QC figures of the DTI arm: registration overlay and MD histograms per session, and the ROI masks
on the template (PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np

from trialmri.figures import DPI_SLICES, ROI_COLOURS, save_figure
from trialmri.grids import Grid, resample, same_grid

MD_RANGE = (0.0, 3.5e-3)  # mm²/s: tissue ~0.7-0.9e-3, free water 3.0e-3 at body temperature


def _template_on(template_path, image) -> np.ndarray:
    template = nib.load(template_path)
    data = template.get_fdata()
    if same_grid(template, image):
        return data
    return resample(data, template.affine, Grid(image.shape[:3], image.affine))


def registration_overlay(fa_path, template_path, out_png, title: str = "") -> Path:
    """Subject FA in template space (grey) under the template's edges (contours of its T1w)."""
    fa_image = nib.load(fa_path)
    fa = np.nan_to_num(fa_image.get_fdata())
    template = _template_on(template_path, fa_image)
    levels = np.percentile(template[template > 0], [15, 60]) if np.any(template > 0) else [0.5]
    centre = np.round(np.linalg.solve(fa_image.affine, [0, -18, 12, 1])[:3]).astype(int)
    centre = np.clip(centre, 0, np.asarray(fa.shape) - 1)
    fig, axes = plt.subplots(3, 3, figsize=(9, 9.6), facecolor="black")
    for row, axis in enumerate((2, 1, 0)):  # axial, coronal, sagittal
        for col, offset_mm in enumerate((-20, 0, 20)):
            k = int(np.clip(centre[axis] + round(offset_mm / abs(fa_image.affine[axis, axis])), 0,
                            fa.shape[axis] - 1))
            take = [slice(None)] * 3
            take[axis] = k
            ax = axes[row, col]
            ax.imshow(np.rot90(fa[tuple(take)]), cmap="gray", vmin=0, vmax=0.8)
            ax.contour(np.rot90(template[tuple(take)]), levels=levels, colors=["#ff4040", "#40c0ff"],
                       linewidths=0.6)
            ax.set_axis_off()
            ax.set_title(f"{'zyx'[row]} slice {k}", color="white", fontsize=8)
    fig.suptitle(f"{title}\nFA in template space; template edges: brain (red), white matter (blue)",
                 color="white", fontsize=10)
    fig.tight_layout()
    save_figure(fig, out_png, dpi=DPI_SLICES, facecolor="black")
    return Path(out_png)


def md_histogram(md_dwi_path, mask_path, md_template_path, out_png, title: str = "") -> Path:
    """MD inside the brain mask (DWI space) and in template space, with medians and NaN counts."""
    mask = np.asarray(nib.load(mask_path).dataobj) > 0
    native = nib.load(md_dwi_path).get_fdata()[mask]
    warped = nib.load(md_template_path).get_fdata()
    warped = warped[np.isfinite(warped) & (warped != 0)]
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(*MD_RANGE, 120)
    for values, label, colour in ((native, "DWI space, brain mask", "#1f77b4"),
                                  (warped, "template space", "#d62728")):
        finite = values[np.isfinite(values)]
        ax.hist(finite, bins=bins, histtype="step", density=True, color=colour, linewidth=1.4,
                label=f"{label}: n = {finite.size}, median {np.median(finite) * 1e3:.3f}e-3"
                      + (f", NaN {values.size - finite.size}" if values.size != finite.size else ""))
    ax.axvline(3.0e-3, color="grey", linestyle=":", linewidth=1)
    ax.text(3.0e-3, ax.get_ylim()[1] * 0.9, " free water", color="grey", fontsize=8)
    ax.set_xlabel("mean diffusivity (mm²/s)")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out_png, dpi=DPI_SLICES)
    return Path(out_png)


def roi_overlay(masks: dict[str, np.ndarray], affine: np.ndarray, template_path, out_png,
                labels: dict[str, str] | None = None, title: str = "") -> Path:
    """Every ROI mask in its own colour on the template: for each ROI, the axial, coronal and
    sagittal slices holding most of its voxels (one row per ROI), with its voxel count."""
    from matplotlib.colors import ListedColormap

    labels = labels or {}
    shape = next(iter(masks.values())).shape
    template = _template_on(template_path, Grid(shape, affine))
    vmax = np.percentile(template[template > 0], 99) if np.any(template > 0) else 1.0
    fig, axes = plt.subplots(len(masks), 3, figsize=(7.5, 2.5 * len(masks)), facecolor="black",
                             squeeze=False)
    for row, (name, mask) in enumerate(masks.items()):
        colour = ROI_COLOURS[row % len(ROI_COLOURS)]
        centre = np.array([np.argmax(mask.sum(axis=tuple(a for a in range(3) if a != axis)))
                           for axis in range(3)])
        world = affine[:3, :3] @ centre + affine[:3, 3]
        for col, axis in enumerate((2, 1, 0)):  # axial, coronal, sagittal
            take = [slice(None)] * 3
            take[axis] = centre[axis]
            ax = axes[row, col]
            ax.imshow(np.rot90(template[tuple(take)]), cmap="gray", vmin=0, vmax=vmax)
            ax.imshow(np.rot90(np.where(mask[tuple(take)], 1.0, np.nan)), cmap=ListedColormap([colour]),
                      alpha=0.85, interpolation="nearest")
            ax.set_axis_off()
            ax.set_title(f"{'zyx'[col]} = {world[axis]:.0f} mm", color="white", fontsize=7)
        axes[row, 0].text(-0.05, 0.5, f"{labels.get(name, name)}\n{int(mask.sum())} voxels", color=colour,
                          fontsize=9, ha="right", va="center", transform=axes[row, 0].transAxes)
    fig.suptitle(title or "ROI masks on the template (the slices holding most of each ROI)",
                 color="white", fontsize=10)
    fig.tight_layout(rect=(0.12, 0, 1, 0.98))
    save_figure(fig, out_png, dpi=DPI_SLICES, facecolor="black")
    return Path(out_png)
