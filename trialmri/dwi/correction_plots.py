"""QC figures of the DWI corrections: the susceptibility field with the AP/PA b0 pair before and
after unwarping, the motion and eddy-current parameters per volume (PNG), and the table of
outlier slices for the report (HTML)."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from trialmri.dwi.gradients import is_b0
from trialmri.figures import DPI_CORRECTIONS, save_figure, signed

OBJECT_FRACTION = 0.15  # of the 99th percentile of the mean b0: voxels above it are "object"
N_SLICES = 5
COMPONENT_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")  # x, y, z
SERIES_STYLES = ("-", "--", ":", "-.")
MOTION_COLUMNS = ("series", "volume", "bval", "trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z",
                  "eddy_offset_hz", "eddy_x_hz_per_mm", "eddy_y_hz_per_mm", "eddy_z_hz_per_mm", "outlier")


def _object_mask(mean_b0: np.ndarray) -> np.ndarray:
    """Voxels of the mean b0 above a fraction of its 99th percentile (the whole grid if it is empty)."""
    positive = mean_b0[mean_b0 > 0]
    if positive.size == 0:
        return np.ones(mean_b0.shape, bool)
    mask = mean_b0 > OBJECT_FRACTION * np.percentile(positive, 99)
    return mask if mask.any() else np.ones(mean_b0.shape, bool)


def _axial_slices(mask: np.ndarray, n: int = N_SLICES) -> list[int]:
    """``n`` axial indices k spread over the slices holding the object (without its first and last)."""
    counts = mask.sum(axis=(0, 1))
    ks = np.flatnonzero(counts >= 0.1 * counts.max()) if counts.max() > 0 else np.arange(mask.shape[2])
    picks = np.round(np.linspace(ks[0], ks[-1], n + 2)[1:-1]).astype(int)
    return list(dict.fromkeys(int(k) for k in picks))


def _pe_up(image: np.ndarray, k: int, pe_axis: int) -> np.ndarray:
    """Axial slice k as rows = phase-encoding axis (shown with ``origin="lower"``: PE index upward)."""
    plane = image[:, :, k]
    return plane if pe_axis == 0 else plane.T


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if values.size else float("nan")


def field_figure(field_hz: np.ndarray, before: dict[str, np.ndarray], after: dict[str, np.ndarray],
                 pe_axis: int, out_png, title: str = "") -> Path:
    """Field map (Hz) and the mean b0 of both phase-encoding series with their absolute difference,
    before and after correction, on 5 axial slices through the object (PE axis vertical, 100 dpi).

    All arrays are 3-D on one grid (i, j, k; k axial); ``pe_axis`` is 0 (i) or 1 (j). The RMS of the
    difference inside the object (mean b0 before correction above 15 % of its 99th percentile) is
    given in the row labels, in image units and in % of the mean b0 there."""
    if pe_axis not in (0, 1):
        raise ValueError(f"pe_axis must be 0 or 1 (in the axial plane), got {pe_axis}")
    names = [n for n in ("AP", "PA") if n in before] or list(before)
    names += [n for n in before if n not in names]
    if len(names) != 2 or set(after) != set(before):
        raise ValueError(f"need the same two series before and after, got {list(before)} / {list(after)}")
    field = np.asarray(field_hz, float)
    images = {(stage, n): np.nan_to_num(np.asarray(d[n], float))
              for stage, d in (("before", before), ("after", after)) for n in names}
    for key, image in images.items():
        if image.shape != field.shape or image.ndim != 3:
            raise ValueError(f"{key[1]} {key[0]} has shape {image.shape}, field map {field.shape}")
    mask = _object_mask((images["before", names[0]] + images["before", names[1]]) / 2)
    ks = _axial_slices(mask)
    diffs = {stage: np.abs(images[stage, names[0]] - images[stage, names[1]])
             for stage in ("before", "after")}
    mean_signal = float(np.mean([images["before", n][mask].mean() for n in names]))

    grey_max = np.percentile(np.concatenate([im[mask] for im in images.values()]), 99) or 1.0
    diff_max = max(np.percentile(d[mask], 99) for d in diffs.values()) or 1.0
    field_in = np.abs(np.nan_to_num(field[mask]))
    field_max = (np.percentile(field_in, 99) if field_in.size else 0.0) or 1.0

    pair = f"|{names[0]}−{names[1]}|"
    rows = [("field map (Hz)", np.nan_to_num(field),
             dict(cmap="RdBu_r", vmin=-field_max, vmax=field_max), "Hz")]
    for stage in ("before", "after"):
        rms = _rms(images[stage, names[0]][mask] - images[stage, names[1]][mask])
        rel = f" ({100 * rms / mean_signal:.1f} %)" if mean_signal > 0 else ""
        rows += [(f"{n} {stage}", images[stage, n], dict(cmap="gray", vmin=0, vmax=grey_max), "b0 (a.u.)")
                 for n in names]
        rows.append((f"{pair} {stage}\nRMS {rms:.3g}{rel}", diffs[stage],
                     dict(cmap="inferno", vmin=0, vmax=diff_max), "|diff| (a.u.)"))

    n_pe, n_other = field.shape[pe_axis], field.shape[1 - pe_axis]
    panel_w = 1.7
    panel_h = float(np.clip(panel_w * n_pe / n_other, 0.8, 3.0))
    fig = plt.figure(figsize=(panel_w * len(ks) + 2.6, panel_h * len(rows) + 0.9), facecolor="black")
    grid = fig.add_gridspec(len(rows), len(ks) + 1, width_ratios=[1] * len(ks) + [0.07])
    for row, (label, image, style, unit) in enumerate(rows):
        for col, k in enumerate(ks):
            ax = fig.add_subplot(grid[row, col])
            shown = ax.imshow(_pe_up(image, k, pe_axis), origin="lower", interpolation="nearest", **style)
            if row == 0:
                ax.contour(_pe_up(mask.astype(float), k, pe_axis), levels=[0.5], colors="black",
                           linewidths=0.5)
                ax.set_title(f"k = {k}", color="white", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if col == 0:
                ax.set_ylabel(f"{label}\nPE ↑ ({'ij'[pe_axis]})", color="white", fontsize=8)
        bar = fig.colorbar(shown, cax=fig.add_subplot(grid[row, -1]))
        bar.set_label(unit, color="white", fontsize=7)
        bar.ax.tick_params(colors="white", labelsize=6)
    caption = "susceptibility field and b0 pair before/after correction; black contour: object"
    fig.suptitle(f"{title}\n{caption}" if title else caption, color="white", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    save_figure(fig, out_png, dpi=DPI_CORRECTIONS, facecolor="black")
    return Path(out_png)


def motion_figure(params: pd.DataFrame, out_png, title: str = "") -> Path:
    """Per-volume motion (translations in mm, rotations in degrees) and eddy-current terms (offset in
    Hz, gradient terms in Hz/mm) against the volume index within each series (one line style per
    series); b0 volumes as light vertical lines, outlier volumes as red circles."""
    missing = [c for c in MOTION_COLUMNS if c not in params.columns]
    if missing:
        raise ValueError(f"motion parameters lack columns {missing}")
    if params.empty:
        raise ValueError("no motion parameters (empty table)")
    series = list(dict.fromkeys(params["series"]))
    panels = [("translation (mm)", ["trans_x", "trans_y", "trans_z"], ["x", "y", "z"]),
              ("rotation (°)", ["rot_x", "rot_y", "rot_z"], ["x", "y", "z"]),
              ("eddy offset (Hz)", ["eddy_offset_hz"], ["offset"]),
              ("eddy gradient (Hz/mm)", ["eddy_x_hz_per_mm", "eddy_y_hz_per_mm", "eddy_z_hz_per_mm"],
               ["x", "y", "z"])]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 8.5), sharex=True)
    for s, name in enumerate(series):
        rows = params[params["series"] == name].sort_values("volume")
        volume = rows["volume"].to_numpy()
        style = SERIES_STYLES[s % len(SERIES_STYLES)]
        b0 = volume[is_b0(rows["bval"].to_numpy(float))]
        out = rows["outlier"].fillna(False).to_numpy(bool)
        for ax, (_, columns, _) in zip(axes, panels):
            for v in b0:
                ax.axvline(v, color="#c8c8c8", linestyle=style, linewidth=0.8, zorder=0)
            for c, column in enumerate(columns):
                colour = COMPONENT_COLOURS[c] if len(columns) > 1 else "black"
                values = rows[column].to_numpy(float)
                ax.plot(volume, values, color=colour, linestyle=style, linewidth=1.1,
                        marker="." if len(volume) < 2 else None)
                ax.plot(volume[out], values[out], "o", mfc="none", mec="red", mew=1.2, ms=6)
    for ax, (ylabel, columns, labels) in zip(axes, panels):
        ax.set_ylabel(ylabel, fontsize=9)
        ax.axhline(0, color="grey", linewidth=0.5, zorder=0)
        ax.grid(alpha=0.25)
        handles = [Line2D([], [], color=COMPONENT_COLOURS[c] if len(columns) > 1 else "black", label=label)
                   for c, label in enumerate(labels)]
        if ax is axes[0]:
            handles += [Line2D([], [], color="black", linestyle=SERIES_STYLES[s % len(SERIES_STYLES)],
                               label=f"series {name}") for s, name in enumerate(series)]
            handles += [Line2D([], [], color="#c8c8c8", label="b0 volume"),
                        Line2D([], [], linestyle="none", marker="o", mfc="none", mec="red",
                               label="outlier volume")]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes[-1].set_xlabel("volume (0-based, within series)")
    n_out = int(params["outlier"].fillna(False).astype(bool).sum())
    caption = (f"motion and eddy-current parameters; {len(params)} volumes, "
               f"{n_out} outlier volume{'s' * (n_out != 1)}")
    axes[0].set_title(f"{title}\n{caption}" if title else caption, fontsize=10)
    fig.tight_layout()
    save_figure(fig, out_png, dpi=DPI_CORRECTIONS)
    return Path(out_png)


def outlier_table_html(outliers: pd.DataFrame, threshold: float = -4.0) -> str:
    """HTML fragment listing outlier slices (columns series, volume, slice, z; z = standardized
    slice-intensity deficit, outlier when below ``threshold``), or one sentence when there are none."""
    limit = f"threshold z &lt; {signed(threshold)}"
    if outliers is None or outliers.empty:
        return f"<p>No outlier slices ({limit}).</p>\n"
    missing = [c for c in ("series", "volume", "slice", "z") if c not in outliers.columns]
    if missing:
        raise ValueError(f"outlier table lacks columns {missing}")
    rows = outliers.sort_values(["series", "volume", "slice"])
    body = "".join(f"<tr><td class=l>{html.escape(str(r.series))}</td><td>{int(r.volume)}</td>"
                   f"<td>{int(r.slice)}</td><td>{signed(float(r.z), '.1f')}</td></tr>"
                   for r in rows.itertuples(index=False))
    n_volumes = len(rows[["series", "volume"]].drop_duplicates())
    caption = (f"{len(rows)} outlier slice{'s' * (len(rows) != 1)} in {n_volumes} "
               f"volume{'s' * (n_volumes != 1)} ({limit}).")
    return ("<table class=outliers><caption>" + caption + "</caption>"
            "<thead><tr><th class=l>series</th><th>volume</th><th>slice</th><th>z</th></tr></thead>"
            f"<tbody>{body}</tbody></table>\n")
