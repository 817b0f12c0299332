"""The native engine's smoothness and cluster-size steps from files (rules fwhmx and clustsim). A
step that cannot run (a model not fitted, residuals too few for an ACF) writes a JSON with
``"fitted": false`` and the reason, and the cluster step then reports no clusters and why. ACF
parameters a, b, c as 3dFWHMx -acf gives them (b, c in mm)."""

from __future__ import annotations

import json
from pathlib import Path

from trialmri.clusters.cluster_files import run_clustsim, run_fwhmx, write_acf_words, write_not_estimated


def seed_smoothness(resid_path, mask_path, acf_path, words_path, seed: str) -> str:
    """ACF smoothness of one seed's LME residuals inside the fitted voxels -> ``acf_path`` (JSON;
    its prefix names the other outputs) and the ``a b c`` words for 3dClustSim; returns the log line."""
    try:
        out = run_fwhmx(resid_path, mask_path, str(acf_path).removesuffix(".json"))
    except ValueError as err:
        out = write_not_estimated(acf_path, str(err))
        line = f"seed {seed}: smoothness not estimated: {err}"
    else:
        line = (f"seed {seed}: ACF {out['acf']}, ACF FWHM {out['acf_fwhm_mm']:.2f} mm, classic FWHM "
                f"{out['fwhm_xyz_mm']}")
    write_acf_words(words_path, out)
    return line


def seed_clustsim(mask_path, acf_path, pthr, athr, iterations: int, random_seed: int, prefix, json_path, workers: int,
                  noise: str, seed: str) -> str:
    """Cluster-size tables of one seed for the ACF of its residuals (``acf_path``, from
    :func:`seed_smoothness`) inside the fitted voxels, at every ``pthr`` x ``athr``; without an ACF
    the tables say why. Returns the log line."""
    acf = json.loads(Path(acf_path).read_text())
    if not acf.get("fitted", True):
        write_not_estimated(json_path, acf["reason"], tables_prefix=prefix)
        return f"seed {seed}: no table: {acf['reason']}"
    out = run_clustsim(mask_path, acf["acf"], pthr, athr, iterations, random_seed, prefix, workers=workers,
                       noise=noise)
    return (f"seed {seed}: {out['iterations']} fields over {out['mask_voxels']} voxels; "
            f"NN1 2-sided: {out['NN1']['2-sided']}")
