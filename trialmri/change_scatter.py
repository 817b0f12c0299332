"""Figures 1-2 of study 003: Δscore against ΔMD, one colour per group, fit line, 95 % band of the
fitted mean, and each group's Pearson r and p in the legend. PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd

from trialmri.stats.group_tests import p_phrase, pearson
from trialmri.figures import DPI_PUBLICATION, GROUP_COLOURS, save_figure


def fit_band(x: np.ndarray, y: np.ndarray, grid: np.ndarray, level: float = 0.95):
    """Simple linear regression of y on x: fitted mean on ``grid`` and its ``level`` band."""
    import statsmodels.api as sm

    fit = sm.OLS(y, sm.add_constant(x)).fit()
    prediction = fit.get_prediction(sm.add_constant(grid)).summary_frame(alpha=1 - level)
    return prediction["mean"].to_numpy(), prediction["mean_ci_lower"].to_numpy(), \
        prediction["mean_ci_upper"].to_numpy()


def draw_change_scatter(ax, frame: pd.DataFrame, order, *, x: str, y: str, group: str = "group_label",
                        colours=GROUP_COLOURS) -> None:
    """Scatter of ``y`` vs ``x`` per group label in ``order`` on ``ax``: points, least-squares line
    with its 95 % band, and n, r, p per group in the legend."""
    for colour, label in zip(colours, order):
        part = frame[(frame[group] == label)][[x, y]].dropna()
        xs, ys = part[x].to_numpy(float), part[y].to_numpy(float)
        stats = pearson(xs, ys)
        p_text = p_phrase(stats["p"])
        ax.scatter(xs, ys, s=22, color=colour, alpha=0.75, edgecolor="white", linewidth=0.4,
                   label=f"{label} (n = {stats['n']}): r = {stats['r']:.2f}, p {p_text}")
        if xs.size >= 3 and np.ptp(xs) > 0:
            grid = np.linspace(xs.min(), xs.max(), 50)
            mean, low, high = fit_band(xs, ys, grid)
            ax.plot(grid, mean, color=colour, linewidth=1.6)
            ax.fill_between(grid, low, high, color=colour, alpha=0.15, linewidth=0)
    ax.axhline(0, color="#adb5bd", linewidth=0.6, zorder=0)
    ax.axvline(0, color="#adb5bd", linewidth=0.6, zorder=0)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.legend(fontsize=7.5, frameon=False, loc="best")
    ax.spines[["top", "right"]].set_visible(False)


def change_scatter(frame: pd.DataFrame, order, out_png, out_svg, *, title: str, xlabel: str,
                   ylabel: str, x: str = "delta_md", y: str = "delta_score",
                   group: str = "group_label") -> tuple[Path, Path]:
    """Scatter of ``y`` vs ``x`` per group label in ``order``; writes PNG and SVG."""
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    draw_change_scatter(ax, frame, order, x=x, y=y, group=group)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_png, out_svg, dpi=DPI_PUBLICATION)
