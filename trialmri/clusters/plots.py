"""Figure of one seed's clusters: a glass brain of the surviving clusters (signed -log10 p of the
term, zero outside clusters), orthogonal slices through the largest cluster's peak on the
template, and the cluster list with MNI peaks and atlas labels — PNG."""

from __future__ import annotations

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.figures import save_figure
from trialmri.lme.plots import signed_log_p

MAX_LISTED = 8


def _listing(table: pd.DataFrame, atlas_column: str | None) -> str:
    lines = []
    for row in table.head(MAX_LISTED).itertuples(index=False):
        r = row._asdict()
        where = f"({r['peak_x']:+.0f}, {r['peak_y']:+.0f}, {r['peak_z']:+.0f})"
        label = r.get(atlas_column, "") if atlas_column else ""
        sign = f" {r['sign']}" if "sign" in r else ""
        lines.append(f"#{r['cluster']}: {r['voxels']} vox, peak {where} mm, F {r['peak_F']:.1f}{sign}  {label}")
    if len(table) > MAX_LISTED:
        lines.append(f"... and {len(table) - MAX_LISTED} more (see the table)")
    return "\n".join(lines)


def plot_clusters(dseg_img, stats_img, volumes: list[dict], term: str, table: pd.DataFrame, meta: dict,
                  template_img, out_png, title: str = "") -> str:
    """The clusters figure (see module doc); a seed without clusters says why."""
    from nilearn import plotting

    labels = np.asarray(dseg_img.dataobj) > 0
    stats = np.asarray(stats_img.dataobj, dtype=np.float32)
    fig = plt.figure(figsize=(11, 7.6), facecolor="white")
    if "reason" in meta:
        head = f"no clusters: {meta['reason']}"
    else:
        head = (f"{term}: p < {meta['pthr']}, clusters of >= {meta['min_voxels']} voxels "
                f"(NN{meta['nn']} {meta['sided']}, FWE alpha {meta['alpha']}; ACF "
                + " ".join(f"{v:.3g}" for v in meta["acf"]) + ")")
    fig.suptitle(f"{title}\n{head}" if title else head, fontsize=10, y=0.99, va="top")
    if labels.any():
        logp = signed_log_p(stats, volumes, term)
        shown = nib.Nifti1Image(np.where(labels, logp, 0).astype(np.float32), stats_img.affine)
        vmax = float(np.abs(logp[labels]).max())
        ax_glass = fig.add_axes((0.0, 0.55, 1.0, 0.36))
        plotting.plot_glass_brain(shown, display_mode="lzry", axes=ax_glass, figure=fig, colorbar=True,
                                  plot_abs=False, cmap="RdBu_r", vmax=vmax, threshold=1e-6,
                                  symmetric_cbar=True)
        ax_slice = fig.add_axes((0.0, 0.2, 0.62, 0.33))
        peak = table.iloc[0][["peak_x", "peak_y", "peak_z"]].to_numpy(float)
        plotting.plot_stat_map(shown, bg_img=template_img, display_mode="ortho", cut_coords=peak, axes=ax_slice,
                               figure=fig, cmap="RdBu_r", vmax=vmax, threshold=1e-6, symmetric_cbar=True,
                               colorbar=False, black_bg=False, draw_cross=True, annotate=True)
        atlas = next((c for c in table.columns if c.endswith("_peak")), None)
        where = ", ".join(f"{v:+.0f}" for v in peak)
        fig.text(0.64, 0.5, "signed -log10 p: red, the term's coefficient is\npositive; blue, negative.\n\n"
                            f"slices through cluster #1's peak\n({where}) mm, MNI, on the template",
                 fontsize=8.5, va="top")
        fig.text(0.02, 0.18, f"clusters (atlas: {atlas.removesuffix('_peak') if atlas else 'none'})\n"
                             + _listing(table, atlas), fontsize=7.5, va="top", family="monospace")
    else:
        supra = meta.get("voxels_supra")
        if supra:  # where the uncorrected voxels are, for orientation
            logp = signed_log_p(stats, volumes, term)
            below = np.abs(logp) > -np.log10(meta["pthr"])
            shown = nib.Nifti1Image(np.where(below, logp, 0).astype(np.float32), stats_img.affine)
            ax_glass = fig.add_axes((0.0, 0.5, 1.0, 0.36))
            plotting.plot_glass_brain(shown, display_mode="lzry", axes=ax_glass, figure=fig, colorbar=True,
                                      plot_abs=False, cmap="RdBu_r", vmax=float(np.abs(logp[below]).max()),
                                      threshold=1e-6, symmetric_cbar=True, alpha=0.5)
        text = "No cluster survives." if supra is None else (
            f"No cluster survives. Above: the {supra} voxels at p < {meta['pthr']} uncorrected (signed -log10 p);\n"
            f"but no cluster of them reaches the {meta['min_voxels']} voxels that noise with the residuals' "
            f"smoothness\nreaches in {meta['alpha']:.0%} of simulations.")
        fig.text(0.5, 0.3, text if "reason" not in meta else head, ha="center", va="center", fontsize=11)
    save_figure(fig, out_png)
    return str(out_png)
