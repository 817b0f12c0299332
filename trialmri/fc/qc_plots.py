"""QC figures of the seed-connectivity step: the seed and control ROI spheres on the template, the
framewise displacement with the censored volumes, and one seed's Fisher z map (PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from trialmri.figures import ROI_COLOURS, save_figure, signed

FD_COLUMNS = ("volume", "framewise_displacement", "std_dvars", "kept")


def parse_centres(centres_mm: str) -> list[tuple[float, float, float]]:
    """Sphere centres of an ROI table's ``centres_mm`` cell ("x,y,z; x,y,z", MNI mm)."""
    centres = []
    for part in str(centres_mm).split(";"):
        if part.strip():
            xyz = tuple(float(v) for v in part.split(","))
            if len(xyz) != 3:
                raise ValueError(f"centre {part.strip()!r} is not 'x,y,z' (mm)")
            centres.append(xyz)
    return centres


def _mm(centre) -> str:
    return "(" + ", ".join(signed(float(c), "g") for c in centre) + ") mm"


def plot_seed_rois(labels: np.ndarray, affine: np.ndarray, table: pd.DataFrame, template_img, out_png,
                   title: str = "") -> Path:
    """Every ROI of the label map in its own colour on the template: one row of sagittal, coronal and
    axial cuts per ROI through its first centre (centres as white crosses), with its voxel count."""
    from nilearn import plotting

    missing = [c for c in ("index", "name", "centres_mm", "voxels") if c not in table.columns]
    if missing:
        raise ValueError(f"ROI table lacks columns {missing}")
    if table.empty:
        raise ValueError("no ROI (empty table)")
    labels = np.asarray(labels)
    template_img = nib.load(template_img) if isinstance(template_img, (str, Path)) else template_img
    n = len(table)
    fig = plt.figure(figsize=(9.0, 2.9 * n + 0.6), facecolor="black")
    row_h = (1.0 - 0.6 / fig.get_figheight()) / n
    for row, r in enumerate(table.itertuples(index=False)):
        colour = ROI_COLOURS[row % len(ROI_COLOURS)]
        centres = parse_centres(r.centres_mm)
        mask = nib.Nifti1Image((labels == int(r.index)).astype(np.float32), affine)
        ax = fig.add_axes((0.2, 1.0 - 0.6 / fig.get_figheight() - (row + 1) * row_h, 0.8, row_h))
        display = plotting.plot_anat(template_img, cut_coords=centres[0], display_mode="ortho", axes=ax,
                                     figure=fig, colorbar=False, draw_cross=False, black_bg=True,
                                     dim=-0.3, annotate=True)
        if mask.get_fdata().any():
            display.add_contours(mask, filled=True, levels=[0.5], colors=[colour], transparency=0.85)
            display.add_contours(mask, levels=[0.5], colors=[colour], linewidths=1.0)
        display.add_markers(centres, marker_color="white", marker="+", marker_size=40)
        in_grid = int((labels == int(r.index)).sum())
        count = f"{int(r.voxels)} voxels" + (f" ({in_grid} in map)" if in_grid != int(r.voxels) else "")
        text = f"{r.index}: {r.name}\n{count}\ncut {_mm(centres[0])}"
        if len(centres) > 1:
            text += f"\n+{len(centres) - 1} more centre{'s' * (len(centres) > 2)}"
        fig.text(0.01, 1.0 - 0.6 / fig.get_figheight() - (row + 0.5) * row_h, text, color=colour,
                 fontsize=9, ha="left", va="center", fontweight="bold")
    caption = "seed and control ROIs on the template (cuts through each ROI's first centre; + centres)"
    fig.suptitle(f"{title}\n{caption}" if title else caption, color="white", fontsize=10,
                 y=1.0 - 0.08 / fig.get_figheight(), va="top")
    return save_figure(fig, out_png, facecolor="black")[0]


def plot_framewise_displacement(table: pd.DataFrame, fd_threshold_mm: float | None, tr_s: float, out_png,
                                title: str = "", dvars_threshold: float | None = None) -> Path:
    """Framewise displacement (mm) per volume with the censoring threshold (dashed) and the censored
    volumes (red bands), seconds on the top axis; standardized DVARS in a second panel if present,
    with its threshold dashed."""
    missing = [c for c in FD_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"FD table lacks columns {missing}")
    if table.empty:
        raise ValueError("no volumes (empty FD table)")
    if not tr_s > 0:
        raise ValueError(f"repetition time must be positive, got {tr_s}")
    rows = table.sort_values("volume")
    volume = rows["volume"].to_numpy(float)
    fd = rows["framewise_displacement"].to_numpy(float)
    dvars = rows["std_dvars"].to_numpy(float)
    kept = rows["kept"].fillna(True).to_numpy(bool)
    has_dvars = bool(np.isfinite(dvars).any())

    if has_dvars:
        fig, axes = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True, height_ratios=(2.2, 1))
    else:
        fig, ax = plt.subplots(figsize=(10, 3.8))
        axes = [ax]
    for ax in axes:
        for v in volume[~kept]:
            ax.axvspan(v - 0.5, v + 0.5, color="#ff6b6b", alpha=0.35, linewidth=0, zorder=0)
        ax.grid(alpha=0.25)
    ax = axes[0]
    ax.plot(volume, fd, color="#1c7ed6", linewidth=1.1, marker="." if len(volume) < 60 else None)
    ax.plot(volume[~kept], fd[~kept], "o", mfc="none", mec="#c92a2a", ms=5, mew=1.0)
    handles = [Line2D([], [], color="#1c7ed6", label="FD")]
    if fd_threshold_mm is not None:
        ax.axhline(fd_threshold_mm, color="#c92a2a", linestyle="--", linewidth=1.2)
        handles.append(Line2D([], [], color="#c92a2a", linestyle="--",
                              label=f"threshold {fd_threshold_mm:g} mm"))
    if not kept.all():
        handles.append(Patch(color="#ff6b6b", alpha=0.35, label="censored volume"))
    finite = fd[np.isfinite(fd)]
    top = max([*finite, fd_threshold_mm or 0.0, 0.0]) or 1.0
    ax.set_ylim(0, 1.3 * top)  # headroom for the summary box and the legend
    ax.set_ylabel("framewise displacement (mm)", fontsize=9)
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.85)
    mean_fd = f"{finite.mean():.2f} mm" if finite.size else "n/a"
    max_fd = f", max {finite.max():.2f} mm" if finite.size else ""
    ax.text(0.01, 0.96, f"kept {int(kept.sum())} of {len(kept)} volumes, mean FD {mean_fd}{max_fd}",
            transform=ax.transAxes, ha="left", va="top", fontsize=9,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="grey", alpha=0.9))
    if has_dvars:
        axes[1].plot(volume, dvars, color="#2b8a3e", linewidth=1.0)
        axes[1].set_ylabel("std DVARS", fontsize=9)
        if dvars_threshold is not None:
            axes[1].axhline(dvars_threshold, color="#c92a2a", linestyle="--", linewidth=1.2)
    axes[-1].set_xlabel("volume (0-based)")
    axes[-1].set_xlim(volume.min() - 0.5, volume.max() + 0.5)
    seconds = axes[0].secondary_xaxis("top", functions=(lambda v: v * tr_s, lambda s: s / tr_s))
    seconds.set_xlabel(f"time (s, TR {tr_s:g} s)", fontsize=8)
    seconds.tick_params(labelsize=8)
    caption = "framewise displacement and censored volumes"
    axes[0].set_title(f"{title}\n{caption}" if title else caption, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_png)[0]


def plot_seed_map(z_img, template_img, centres_mm: list, out_png, title: str = "",
                  threshold: float | None = None, vmax: float | None = None) -> Path:
    """One seed's Fisher z map on the template, cut through its first centre, symmetric colour scale
    (to the 99.5th percentile of |z| unless ``vmax``), seed centres as green markers."""
    from nilearn import plotting

    z_img = nib.load(z_img) if isinstance(z_img, (str, Path)) else z_img
    template_img = nib.load(template_img) if isinstance(template_img, (str, Path)) else template_img
    centres = [tuple(float(v) for v in c) for c in (parse_centres(centres_mm)
                                                   if isinstance(centres_mm, str) else centres_mm)]
    if not centres:
        raise ValueError("no seed centre")
    z = np.asarray(z_img.get_fdata(), float)
    finite = np.abs(z[np.isfinite(z) & (z != 0)])
    if vmax is None:
        vmax = float(np.percentile(finite, 99.5)) if finite.size else 1.0
    vmax = vmax or 1.0
    shown = nib.Nifti1Image(np.nan_to_num(z).astype(np.float32), z_img.affine)
    fig = plt.figure(figsize=(10, 3.9), facecolor="black")
    ax = fig.add_axes((0, 0, 0.965, 0.84))  # room right of nilearn's colour bar for its label
    display = plotting.plot_stat_map(shown, bg_img=template_img, cut_coords=centres[0], display_mode="ortho",
                                     axes=ax, figure=fig, threshold=threshold if threshold else 1e-6,
                                     vmin=-vmax, vmax=vmax, symmetric_cbar=True, cmap="RdBu_r",
                                     colorbar=True, black_bg=True, draw_cross=False, dim=-0.3,
                                     cbar_tick_format="%.2f")
    display.add_markers(centres, marker_color="#40c057", marker_size=60, edgecolors="white", linewidths=1.0)
    cbar = getattr(display, "_cbar", None)
    if cbar is not None:
        cbar.set_label("Fisher z", color="white", fontsize=9)
        cbar.ax.yaxis.set_label_position("right")
    else:
        fig.text(0.985, 0.86, "Fisher z", color="white", fontsize=9, ha="right")
    thr = f"|z| ≥ {threshold:g}" if threshold else "unthresholded"
    caption = (f"seed Fisher z map ({thr}, colour scale ±{vmax:.2f}); cut through {_mm(centres[0])}, "
               "green: seed centres")
    fig.suptitle(f"{title}\n{caption}" if title else caption, color="white", fontsize=10, y=0.985, va="top")
    return save_figure(fig, out_png, facecolor="black")[0]
