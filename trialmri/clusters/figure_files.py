"""One seed's clusters figure from files (rule plot_clusters): glass brain, slices at each peak
and the cluster list, or, without clusters, why (the clusters' JSON says)."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib

from trialmri.clusters.plots import plot_clusters
from trialmri.tables import read_tsv


def plot_seed_clusters(dseg_path, table_path, sidecar_path, stats_path, lme_sidecar_path, template, term: str,
                       out_png, seed: str) -> str:
    """The figure of the clusters of ``term`` (label map, table and JSON of rule clusters) on the
    LME statistics (``stats_path``, its volumes listed in ``lme_sidecar_path``) and the template."""
    meta = json.loads(Path(sidecar_path).read_text())
    lme = json.loads(Path(lme_sidecar_path).read_text())
    return plot_clusters(nib.load(dseg_path), nib.load(stats_path), lme.get("volumes", []), term, read_tsv(table_path),
                         meta, template, out_png, title=f"seed {seed}")
