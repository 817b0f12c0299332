"""One seed's voxelwise LME from files, native engine (rule group_lme), and its figure (rule
plot_group_lme). Covariates (dicts {column, type}, config rsfmri.group_model.covariates; columns
of the data table) enter the formula as main effects, quantitative ones centred at their mean over
the table's rows as 3dLME centres -qVars. A model the data cannot estimate is written as such
(``"fitted": false`` and the reason) and drawn as such, so the workflow goes on."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np

from trialmri.lme.covariates import quantitative_names, with_covariates
from trialmri.lme.lme_files import run_lme_files, write_not_estimable
from trialmri.lme.plots import plot_lme_overview, plot_not_estimable
from trialmri.stats.formula import NotEstimable

RANDOM = "subject"  # the random intercept's column


def fit_seed_lme(table_path, formula: str, covariates, prefix, mask_path, seed: str) -> list[str]:
    """Fit the data table's maps inside the mask -> ``<prefix>_stats.nii.gz`` and the rest of
    run_lme_files' outputs, or the not-estimable outputs; returns the lines to log."""
    formula = with_covariates(formula, covariates)
    args = (table_path, formula, RANDOM, prefix)
    try:
        meta = run_lme_files(*args, mask_path=mask_path, quantitative=quantitative_names(covariates))
    except NotEstimable as err:
        meta = write_not_estimable(*args, mask_path, str(err))
        return [f"seed {seed}: model not estimable from {meta['n_rows']} maps of {meta['n_subjects']} subjects: {err}"]
    return [f"seed {seed}: {formula}: {meta['n_rows']} maps, {meta['n_subjects']} subjects; voxels {meta['voxels']}; "
            f"{meta['voxels_boundary']} with zero subject variance"] + [
        f"  {name} centred at {center:.6g} (its mean over the table's rows, as 3dLME)"
        for name, center in meta["qvar_centers"].items()]


def plot_seed_lme(stats_path, sidecar_path, mask_path, template, term: str, out_png, seed: str):
    """The LME figure of one seed (``term`` on the template, p histograms), or the reason it was
    not fitted; titled with the seed, the maps and subjects, and the engine."""
    meta = json.loads(Path(sidecar_path).read_text())
    title = f"seed {seed}: {meta['n_rows']} maps of {meta['n_subjects']} subjects, {meta['engine']}"
    if not meta.get("fitted", True):
        return plot_not_estimable(meta["reason"], out_png, title=title)
    mask = np.asarray(nib.load(mask_path).dataobj) > 0
    return plot_lme_overview(nib.load(stats_path), meta["volumes"], mask, template, term, out_png, title=title)
