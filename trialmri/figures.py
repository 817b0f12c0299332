"""What every figure of trialmri shares: the Agg backend (no display needed, on a cluster node too),
one way to save (:func:`save_figure`: whole files or none, folders made, the figure closed), the
resolutions, the colours shared across steps, and numbers written with a true minus sign.

Ground floor: used by every layer, uses nothing of trialmri's but :mod:`trialmri.atomic`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from trialmri.atomic import writing  # noqa: E402

# Resolutions (dots per inch) of the PNGs; SVGs are vector.
DPI = 110  # report figures of the rsfMRI arm: seed ROIs, framewise displacement, seed maps, LME, clusters
DPI_SLICES = 90  # DWI QC slice mosaics: masks, ROIs, registration
DPI_CORRECTIONS = 100  # DWI correction figures (field, motion) and the inputs grid
DPI_PUBLICATION = 150  # the studies' figures (Δscore against ΔMD, follow-up)

GROUP_COLOURS = ("#c2255c", "#1971c2", "#2b8a3e", "#e67700")  # groups in the configured order, first first
ROI_COLOURS = ("#e03131", "#1971c2", "#f08c00", "#2f9e44", "#9c36b5", "#0c8599", "#e8590c",
               "#5c940d", "#c2255c", "#3b5bdb")  # ROIs and seeds, in their table's order


def signed(value: float, spec: str = "g") -> str:
    """``value`` formatted by ``spec`` with a typographic minus sign."""
    return format(value, spec).replace("-", "−")


def save_figure(fig, *paths, dpi: int = DPI, **savefig_kwargs) -> tuple[Path, ...]:
    """Save ``fig`` to each path (format from its extension) through :func:`trialmri.atomic.writing`
    (folders made, a whole file or none), then close it. ``savefig_kwargs`` go to ``fig.savefig``
    (e.g. ``facecolor="black"`` for slice mosaics)."""
    out = []
    for path in paths:
        with writing(path) as hidden:
            fig.savefig(hidden, dpi=dpi, **savefig_kwargs)
        out.append(Path(path))
    plt.close(fig)
    return tuple(out)
