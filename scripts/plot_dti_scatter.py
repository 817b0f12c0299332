"""Snakemake glue: Figure 1-2 panel of one ROI x outcome (Δscore vs ΔMD per group)."""

from trialmri.dwi.roi_md import MD_TABLE_UNITS
from trialmri.tables import read_tsv
from trialmri.runlog import log_to
from trialmri.dwi.dti_tests import model_frame
from trialmri.change_scatter import change_scatter

with log_to(snakemake.log[0]):
    w, p = snakemake.wildcards, snakemake.params
    stats = p.statistics
    frame = model_frame(read_tsv(snakemake.input.table), w.roi, w.outcome, f"delta_md_{stats['delta_md']}")
    outcome = stats["outcomes"][w.outcome]
    change_scatter(frame, [p.groups["treatment"], p.groups["control"]], snakemake.output.png,
                   snakemake.output.svg, title=f"{p.rois[w.roi].get('label', w.roi)}: {outcome}",
                   xlabel=f"ΔMD ({stats['delta_md']}, pre − post, {MD_TABLE_UNITS})",
                   ylabel=f"Δ{outcome} (pre − post; positive = improvement)")
