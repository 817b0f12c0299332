"""Figure of one voxelwise LME: the term of interest's signed -log10 p on the template (axial
slices), and the p-value histogram of every term (flat under the null) — PNG."""

from __future__ import annotations

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np

from trialmri.figures import save_figure
from trialmri.lme.lme_files import stat_volume, term_sign

P_SHOWN = 0.005  # voxelwise threshold drawn (the study's cluster-forming p)


def signed_log_p(stats: np.ndarray, volumes: list[dict], term: str) -> np.ndarray:
    """-log10 p of ``term``, signed by its coefficient's t where the term has one coefficient."""
    p = stat_volume(stats, volumes, term=term, stat="p")
    with np.errstate(divide="ignore"):
        value = -np.log10(np.clip(p, 1e-300, 1.0))
    sign = term_sign(stats, volumes, term)
    return value if sign is None else value * sign


def plot_not_estimable(reason: str, out_png, title: str = "") -> str:
    """The figure slot of a model the data could not estimate: the reason, in words."""
    import textwrap

    fig = plt.figure(figsize=(11, 2.4), facecolor="white")
    fig.text(0.5, 0.5, "model not estimable from these data:\n" + "\n".join(textwrap.wrap(reason, 110)),
             ha="center", va="center", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, out_png)
    return str(out_png)


def plot_lme_overview(stats_img, volumes: list[dict], mask, template_img, term: str, out_png,
                      title: str = "") -> str:
    """Axial slices of the signed -log10 p of ``term`` (|value| ≥ -log10 0.005 shown) above the
    p-value histograms of every term inside ``mask`` (bool array on the stats grid)."""
    from nilearn import plotting

    stats_img = nib.load(stats_img) if isinstance(stats_img, str) else stats_img
    stats = np.asarray(stats_img.dataobj, dtype=np.float32)
    mask = np.asarray(mask, bool)
    logp = signed_log_p(stats, volumes, term)
    terms = [v["term"] for v in volumes if v.get("stat") == "F" and v["term"] != "(Intercept)"]
    fig = plt.figure(figsize=(11, 6.6), facecolor="white")
    ax_map = fig.add_axes((0.0, 0.47, 1.0, 0.45))
    shown = nib.Nifti1Image(np.where(mask, logp, 0).astype(np.float32), stats_img.affine)
    vmax = max(float(np.nanmax(np.abs(logp[mask]))) if mask.any() else 1.0, -np.log10(P_SHOWN) + 0.5)
    display = plotting.plot_stat_map(shown, bg_img=template_img, display_mode="z", cut_coords=min(8, stats.shape[2]), axes=ax_map,
                                     figure=fig, threshold=-np.log10(P_SHOWN), vmax=vmax, cmap="RdBu_r",
                                     symmetric_cbar=True, colorbar=True, black_bg=False, draw_cross=False,
                                     annotate=True, cbar_tick_format="%.1f")
    cbar = getattr(display, "_cbar", None)
    if cbar is not None:
        cbar.set_label("signed -log10 p", fontsize=9)
    width = 0.84 / max(len(terms), 1)
    for k, name in enumerate(terms):
        ax = fig.add_axes((0.07 + k * width, 0.08, width * 0.8, 0.3))
        p = stat_volume(stats, volumes, term=name, stat="p")[mask]
        ax.hist(p, bins=20, range=(0, 1), color="#4c6ef5", edgecolor="white")
        ax.axhline(p.size / 20, color="black", linestyle="--", linewidth=1)
        ax.set_title(f"{name}\np < 0.05: {np.mean(p < 0.05):.1%}, p < {P_SHOWN}: {np.mean(p < P_SHOWN):.2%}",
                     fontsize=8.5)
        ax.set_xlabel("p", fontsize=8)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.set_ylabel("voxels", fontsize=8)
    caption = (f"{term}: signed -log10 p (sign of the coefficient; p < {P_SHOWN} uncorrected shown)\n"
               "histograms: p of each term in the group mask (dashed: flat, as expected without effect)")
    fig.suptitle(f"{title}\n{caption}" if title else caption, fontsize=10, y=0.99, va="top")
    save_figure(fig, out_png)
    return str(out_png)
