"""Study 000's Figures 1-4, PNG and SVG, one panel per seed-ROI pair or cluster:

- box plots with every session's point per group x treatment (Figures 1: clusters, 2: seed-V1);
  a subject's two sessions are joined by a faint line; the panel title gives the model's
  group x treatment F with its Satterthwaite df;
- ΔCRP against ΔFC per group, least-squares line with 95 % band, r and p per group in the legend,
  Fisher's r-to-z in the title (Figure 3);
- Δ symptom against ΔFC in the symptom groups with a 95 % band (Figure 4).

Δ = active − placebo session (ketamine − placebo). A figure with nothing to draw (no surviving
cluster) says so in its only panel.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from trialmri.stats.group_tests import p_phrase
from trialmri.change_scatter import draw_change_scatter
from trialmri.figures import DPI_PUBLICATION, GROUP_COLOURS, save_figure

TREATMENT_COLOURS = ("#e8590c", "#868e96")  # active, placebo


def _grid(n_panels: int, width: float = 3.6, height: float = 3.4, max_columns: int = 4):
    columns = max(1, min(max_columns, n_panels))
    rows = max(1, int(np.ceil(n_panels / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax in axes.ravel()[n_panels:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _wrap(title: str, width: int = 46) -> str:
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def _empty(message: str, *paths):
    fig, ax = plt.subplots(figsize=(6.5, 2.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=10)
    return save_figure(fig, *paths, dpi=DPI_PUBLICATION)


def term_text(anova: pd.DataFrame, term: str) -> str:
    """``group:treatment F(1, 45.52) = 1.61, p = 0.21`` from an ROI-model ANOVA (one model's rows)."""
    row = anova[anova.term == term]
    if row.empty or not np.isfinite(row.F.iloc[0]):
        note = anova.note.dropna().iloc[0] if "note" in anova and anova.note.notna().any() else ""
        return f"{term}: {note or 'not estimated'}"
    r = row.iloc[0]
    return f"{term} F({int(r.df_num)}, {r.df_den:.2f}) = {r.F:.2f}, p {p_phrase(r.p)}"


def fc_boxplots(fc: pd.DataFrame, panels: list[tuple[str, str]], titles: dict, subtitles: dict, groups,
                treatments, out_png, out_svg, *, suptitle: str, empty: str, ylabel: str = "Fisher z"):
    """Box plot + points of ``z`` per group x treatment, one panel per ``(seed, roi)`` of ``panels``."""
    if not panels:
        return _empty(empty, out_png, out_svg)
    fig, axes = _grid(len(panels))
    rng = np.random.default_rng(0)  # jitter only; the same figure every run
    for ax, key in zip(axes, panels):
        part = fc[(fc.seed == key[0]) & (fc.roi == key[1])]
        positions, data, colours, labels = [], [], [], []
        xy: dict[str, list] = {}
        for gi, group in enumerate(groups):
            for ti, treatment in enumerate(treatments):
                x = gi * 2.6 + ti
                cell = part[(part.group == group) & (part.treatment == treatment)]
                values = cell.z.to_numpy(float)
                positions.append(x)
                data.append(values[np.isfinite(values)])
                colours.append(TREATMENT_COLOURS[ti % 2])
                labels.append(f"{group}\n{treatment}")
                jitter = x + rng.uniform(-0.12, 0.12, len(values))
                ax.scatter(jitter, values, s=14, color=TREATMENT_COLOURS[ti % 2], alpha=0.8, zorder=3,
                           edgecolor="white", linewidth=0.3)
                for s, xx, v in zip(cell.subject, jitter, values):
                    xy.setdefault(s, []).append((xx, v))
        for pts in xy.values():
            if len(pts) == 2:
                ax.plot(*zip(*pts), color="#adb5bd", linewidth=0.5, alpha=0.6, zorder=2)
        box = ax.boxplot(data, positions=positions, widths=0.6, patch_artist=True, showfliers=False,
                         medianprops={"color": "black"})
        for patch, colour in zip(box["boxes"], colours):
            patch.set_facecolor(colour)
            patch.set_alpha(0.25)
        ax.set_xticks(positions, labels, fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(_wrap(f"{titles[key]}\n{subtitles.get(key, '')}"), fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_png, out_svg, dpi=DPI_PUBLICATION)


def change_scatters(changes: pd.DataFrame, panels: list[tuple], titles: dict, groups, out_png, out_svg, *,
                    x: str | dict, y: str | dict, xlabel, ylabel, suptitle: str, empty: str):
    """Δ scatter per panel; a panel key is ``(seed, roi, measure)``; ``x``/``y`` a column or, per
    measure, a column (``"measure"`` picks it); labels likewise."""
    if not panels:
        return _empty(empty, out_png, out_svg)
    fig, axes = _grid(len(panels), width=4.2, height=3.8, max_columns=3)
    colours = [GROUP_COLOURS[i % len(GROUP_COLOURS)] for i in range(len(groups))]
    for ax, key in zip(axes, panels):
        seed, roi, measure = key
        part = changes[(changes.seed == seed) & (changes.roi == roi)]
        xc = x[measure] if isinstance(x, dict) else x
        yc = y[measure] if isinstance(y, dict) else y
        draw_change_scatter(ax, part, groups, x=xc, y=yc, group="group", colours=colours)
        ax.set_xlabel(xlabel[measure] if isinstance(xlabel, dict) else xlabel, fontsize=9)
        ax.set_ylabel(ylabel[measure] if isinstance(ylabel, dict) else ylabel, fontsize=9)
        ax.set_title(_wrap(titles[key]), fontsize=9)
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_png, out_svg, dpi=DPI_PUBLICATION)
