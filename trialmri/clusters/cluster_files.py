"""File level of the cluster programs and of the workflow's cluster step.

- ``trialmri fwhmx``: residuals (4-D NIfTI) and a mask in, ``P.json`` out
  (``{"acf": [a, b, c], "acf_fwhm_mm": .., "fwhm_xyz_mm": [..], ...}``, mm);
- ``trialmri clustsim``: a mask and ACF in, ``P.json`` (``{"NN1": {"bisided": {"0.005":
  {"0.05": size}}}}``, sizes in voxels) and AFNI-style tables ``P.NN1_1sided.1D`` ... out;
- ``apply_threshold``: one LME term's p map thresholded, clusters at least the simulated size,
  a label map and a table (``cluster_table``); ``apply_threshold_terms``: the same for every term
  of the model, one table with a ``term`` column.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from trialmri import __version__
from trialmri.clusters.acf import estimate_smoothness
from trialmri.clusters.afni_commands import TABLE_SUFFIXES
from trialmri.clusters.clustsim import SIDES, min_cluster_voxels, prob_key, simulate, text_tables, threshold_table
from trialmri.clusters.cluster_table import DEFAULT_ATLASES, cluster_table, find_clusters, table_columns
from trialmri.clusters.noise import wrap_radius
from trialmri.errors import InputError
from trialmri.image_inputs import read_image, read_mask, read_series
from trialmri.io import save_nifti
from trialmri.text_files import write_json, write_text
from trialmri.tables import read_tsv, write_tsv
from trialmri.lme.lme_files import stat_volume, term_sign

ENGINE_FWHMX = "trialmri native (FFT ACF, 3dFWHMx -acf conventions)"
ENGINE_CLUSTSIM = "trialmri native (FFT noise fields, 3dClustSim -acf conventions)"


def voxel_sizes(img) -> np.ndarray:
    """Voxel edge lengths (mm) from the image's affine."""
    return np.sqrt((img.affine[:3, :3] ** 2).sum(axis=0))


def detrend_order(detrend: int | None, n_volumes: int) -> int | None:
    """The polynomial order to remove: ``-1`` is 3dFWHMx's default (volumes / 30); an order must
    leave at least one degree of freedom per voxel (order <= volumes - 2)."""
    if detrend == -1:
        return n_volumes // 30
    if detrend is not None and not 0 <= detrend <= n_volumes - 2:
        raise InputError(f"--detrend {detrend}: a polynomial of order {detrend} over {n_volumes} volumes "
                         f"{'is not an order' if detrend < 0 else 'leaves no residual'}; use an order from 0 "
                         f"to {n_volumes - 2} (the default, volumes/30, is {n_volumes // 30})")
    return detrend


def run_fwhmx(input_path, mask_path, out_prefix, detrend: int | None = None, progress: bool = False,
              mask_threshold=None) -> dict:
    """``trialmri fwhmx``: smoothness of the residual volumes (a 4-D series of >= 2 volumes); writes
    and returns ``P.json``. The mask may be trialmri lme's fit mask (its fitted voxels are used)."""
    img = read_series(input_path, "--input", min_volumes=2)
    detrend = detrend_order(detrend, img.shape[3])
    data = np.asarray(img.dataobj, dtype=np.float32)
    if mask_path:
        mask = read_mask(mask_path, "--mask", img, "--input", input_path, threshold=mask_threshold)[0]
    else:
        mask = np.any(data != 0, axis=-1)
    smooth = estimate_smoothness(data, mask, voxel_sizes(img), detrend=detrend, progress=progress)
    out = {**smooth.as_json(), "input": str(input_path), "mask": str(mask_path) if mask_path else None,
           "detrend": detrend, "engine": ENGINE_FWHMX, "version": __version__}
    write_json(f"{out_prefix}.json", out)
    return out


def check_clustsim_options(acf, pthr, athr, iterations: int, workers: int, mask: np.ndarray, voxel_mm) -> None:
    """Ranges and combinations of ``trialmri clustsim``'s options, before any simulation: 0 <= a <= 1,
    b, c > 0 mm; p and alpha in (0, 1); at least 10/alpha fields for the smallest alpha; the ACF
    below 0.01 within the mask's grid."""
    a, b, c = acf
    if not (0.0 <= a <= 1.0 and b > 0 and c > 0):
        raise InputError(f"--acf {a:g} {b:g} {c:g}: need 0 <= a <= 1 and b, c > 0 (mm), as trialmri fwhmx and "
                         "3dFWHMx -acf print them")
    for option, values in (("--pthr", pthr), ("--athr", athr)):
        bad = [v for v in values if not 0.0 < v < 1.0]
        if bad:
            raise InputError(f"{option} {' '.join(f'{v:g}' for v in bad)}: probabilities must lie between 0 "
                             "and 1 (exclusive)")
    if workers < 1:
        raise InputError(f"--threads {workers}: give 1 or more")
    need = int(np.ceil(10.0 / min(athr)))
    if iterations < need:
        raise InputError(f"--iter {iterations}: too few fields to resolve alpha = {min(athr):g} (a size exceeded "
                         f"in {min(athr):g} of the fields needs at least 10/alpha = {need}); use --iter {need} or "
                         "more (10000 is 3dClustSim's default)")
    extent = float(np.linalg.norm(np.asarray(mask.shape) * np.asarray(voxel_mm)))
    radius = wrap_radius((a, b, c), voxel_mm)
    if radius > extent:
        raise InputError(f"--acf {a:g} {b:g} {c:g}: the ACF is still 0.01 at {radius:.0f} mm, beyond the mask's "
                         f"grid ({extent:.0f} mm corner to corner); check the parameters (b and c are in mm, "
                         "as trialmri fwhmx prints them)")


def run_clustsim(mask_path, acf, pthr, athr, iterations: int, seed: int, out_prefix, workers: int = 1,
                 progress: bool = False, noise: str = "exact", mask_threshold=None) -> dict:
    """``trialmri clustsim``: cluster-size thresholds; writes ``P.json`` and ``P.NN*_*.1D``.
    ``noise``: ``exact`` (the stated ACF) or ``afni`` (3dClustSim's spectrum, ``afni_spectrum``)."""
    mask, img = read_mask(mask_path, "--mask", threshold=mask_threshold)
    a, b, c = (float(v) for v in acf)
    check_clustsim_options((a, b, c), pthr, athr, iterations, workers, mask, voxel_sizes(img))
    if seed < 0:
        raise InputError(f"--seed {seed}: give a whole number 0 or larger")
    result = simulate(mask, voxel_sizes(img), (a, b, c), pthr, iterations, seed, workers=workers,
                      progress=progress, spectrum=noise)
    table = threshold_table(result, athr)
    meta = {"acf": [a, b, c], "mask": str(mask_path), "mask_voxels": result.n_voxels,
            "voxel_mm": voxel_sizes(img).round(4).tolist(), "iterations": iterations, "seed": seed,
            "pthr": list(result.pthr), "athr": sorted({float(x) for x in athr}, reverse=True), "noise": noise,
            "engine": ENGINE_CLUSTSIM, "version": __version__}
    write_json(f"{out_prefix}.json", {**table, **meta})
    header = {k: meta[k] for k in ("acf", "mask", "mask_voxels", "voxel_mm", "iterations", "seed", "version")}
    for name, text in text_tables(table, header).items():
        write_text(f"{out_prefix}.{name}.1D", text)
    return {**table, **meta}


def resolve_sided(sided: str, df_num) -> str:
    """The sidedness to use for a term with ``df_num`` numerator df; ``auto``: 2-sided for a
    one-df term (F(1, ·) = t², its p is two-sided in t), 1-sided otherwise."""
    if sided == "auto":
        return "2-sided" if df_num == 1 else "1-sided"
    if sided not in SIDES:
        raise ValueError(f"sidedness {sided!r} is not one of auto, {', '.join(SIDES)}")
    return sided


def _threshold_inputs(stats_path, sidecar_path, mask_path, clustsim_path):
    """The LME sidecar, statistics image and its data, fit mask and clustsim JSON of one seed."""
    meta_in = json.loads(Path(sidecar_path).read_text())
    img = read_image(stats_path, "LME statistics")
    mask, _ = read_mask(mask_path, "mask", img, "LME statistics", stats_path, allow_empty=True)  # empty when the model was not fitted
    sim = json.loads(Path(clustsim_path).read_text())
    return meta_in, img, np.asarray(img.dataobj, dtype=np.float32), mask, sim


def _skip(meta_in: dict, sim: dict, missing: str | None = None) -> tuple[bool, str | None]:
    """``(skip, reason)``: skip when the model or the simulation was not estimated, or ``missing``
    (why a term is absent) is given; the reason is the model's, else ``missing``, else the
    simulation's."""
    fitted, simulated = meta_in.get("fitted", True), sim.get("fitted", True)
    if fitted and simulated and missing is None:
        return False, None
    return True, (None if fitted else meta_in.get("reason")) or missing or sim.get("reason")


def term_clusters(stats, volumes, mask, sim, affine, term: str, pthr: float, alpha: float, nn: int,
                  sided: str, atlases=DEFAULT_ATLASES, prob_threshold: float = 25.0,
                  multi_df_bisided: str | None = None):
    """One term's clusters: ``(labels, table, info)``; ``info`` holds the sidedness used, the
    minimum size (voxels), the simulated C(pthr, alpha), the term's df, the number of clusters and
    of supra-threshold voxels. ``bisided`` needs a one-coefficient term (the sign of its t); for
    another term it is an error, or ``multi_df_bisided`` is used instead."""
    f_entry = next(v for v in volumes if v.get("term") == term and v.get("stat") == "F")
    side = resolve_sided(sided, f_entry.get("df_num"))
    sign = term_sign(stats, volumes, term)
    if side == "bisided" and sign is None:
        if multi_df_bisided is None:
            raise ValueError(f"bisided clustering needs the sign of a one-coefficient term; {term!r} has "
                             f"{f_entry.get('df_num')} numerator df: use 1-sided or 2-sided")
        side = multi_df_bisided
    min_voxels = min_cluster_voxels(sim, nn, side, pthr, alpha)
    p = stat_volume(stats, volumes, term=term, stat="p")
    F = stat_volume(stats, volumes, term=term, stat="F")
    labels = find_clusters(p, mask, pthr, nn, min_voxels, sign if side == "bisided" else None)
    table = cluster_table(labels, affine, F, p, "F", sign, atlases, prob_threshold)
    info = {"sided": side, "min_voxels": min_voxels,
            "size_threshold": sim[f"NN{nn}"][side][prob_key(pthr)][prob_key(alpha)],
            "df_num": f_entry.get("df_num"), "df_den": f_entry.get("df_den"),
            "clusters": int(labels.max()), "voxels_supra": int(((p < pthr) & mask).sum())}
    return labels, table, info


def apply_threshold(stats_path, sidecar_path, mask_path, clustsim_path, term: str, pthr: float, alpha: float,
                    nn: int, sided: str, labels_out, table_out, sidecar_out, atlases=DEFAULT_ATLASES,
                    prob_threshold: float = 25.0) -> dict:
    """Clusters of ``term``'s p map (p < pthr) of at least the simulated C(pthr, alpha).

    Writes the label map (int16, clusters numbered by size), the table (TSV) and a JSON sidecar
    with the threshold used; returns the sidecar. A model that was not fitted gives empty outputs
    with the reason.
    """
    meta_in, img, stats, mask, sim = _threshold_inputs(stats_path, sidecar_path, mask_path, clustsim_path)
    out = {"term": term, "pthr": pthr, "alpha": alpha, "nn": nn, "clustsim": str(clustsim_path),
           "acf": sim.get("acf"), "engine": sim.get("engine"), "version": __version__}
    volumes = meta_in.get("volumes", [])
    has_term = any(v.get("term") == term and v.get("stat") == "F" for v in volumes)
    skip, reason = _skip(meta_in, sim, None if has_term else f"term {term!r} is not in the model")
    if skip:
        labels = np.zeros(img.shape[:3], dtype=np.int32)
        table = cluster_table(labels, img.affine, labels, np.ones(labels.shape), atlases=atlases)
        out.update({"clusters": 0, "reason": reason})
    else:
        labels, table, info = term_clusters(stats, volumes, mask, sim, img.affine, term, pthr, alpha, nn,
                                            sided, atlases, prob_threshold)
        out.update(info)
    save_nifti(labels_out, labels, img.affine, dtype=np.int16,
               description=f"clusters of {term} p<{pthr}")
    write_tsv(table_out, table)
    write_json(sidecar_out, out)
    return out


MODEL_TERMS_SKIPPED = ("(Intercept)",)


def model_terms(volumes: list[dict]) -> list[str]:
    """The terms with an F test in the LME sidecar's volume list, in its order, without the
    intercept (its F tests mean connectivity against 0, not an effect)."""
    return [v["term"] for v in volumes if v.get("stat") == "F" and "coef" not in v
            and v.get("term") not in MODEL_TERMS_SKIPPED]


def apply_threshold_terms(stats_path, sidecar_path, mask_path, clustsim_path, pthr: float, alpha: float,
                          nn: int, sided: str, table_out, sidecar_out, atlases=DEFAULT_ATLASES,
                          prob_threshold: float = 25.0) -> dict:
    """:func:`apply_threshold` for every term of the model (study 000's Supplementary Table S4:
    all effects, not only the term of interest): one table with a ``term`` column first and the
    columns of the single-term table, and a JSON sidecar with each term's sidedness, df and size
    threshold. ``bisided`` falls back to ``1-sided`` for a term of several coefficients (it has no
    sign); the sidecar says so. A model that was not fitted gives an empty table with the reason.
    """
    meta_in, img, stats, mask, sim = _threshold_inputs(stats_path, sidecar_path, mask_path, clustsim_path)
    volumes = meta_in.get("volumes", [])
    out = {"pthr": pthr, "alpha": alpha, "nn": nn, "sided": sided, "clustsim": str(clustsim_path),
           "acf": sim.get("acf"), "engine": sim.get("engine"), "version": __version__, "terms": {}}
    parts = []
    skip, reason = _skip(meta_in, sim)
    if skip:
        out.update({"clusters": 0, "reason": reason})
    else:
        for term in model_terms(volumes):
            _, table, info = term_clusters(stats, volumes, mask, sim, img.affine, term, pthr, alpha, nn, sided,
                                           atlases, prob_threshold, multi_df_bisided="1-sided")
            if sided == "bisided" and info["sided"] != "bisided":
                info["note"] = "bisided needs a one-coefficient term: 1-sided table used"
            out["terms"][term] = info
            if len(table):
                parts.append(table.assign(term=term))
        out["clusters"] = sum(t["clusters"] for t in out["terms"].values())
    columns = ["term", *table_columns("F", True, atlases)]
    table = pd.concat(parts, ignore_index=True).reindex(columns=columns) if parts else pd.DataFrame(columns=columns)
    write_tsv(table_out, table)
    write_json(sidecar_out, out)
    return out


def write_acf_words(path, smoothness: dict) -> Path:
    """The ACF's ``a b c`` on one line (3dClustSim -acf's arguments); ``n/a`` when not estimated."""
    words = " ".join(repr(float(v)) for v in smoothness["acf"]) if smoothness.get("fitted", True) else "n/a"
    return write_text(path, words + "\n")


def write_not_estimated(path, reason: str, tables_prefix=None) -> dict:
    """The JSON of a step that could not run (``"fitted": false`` and why); with ``tables_prefix``
    also the nine clustsim tables, each saying so."""
    out = {"fitted": False, "reason": reason, "version": __version__}
    write_json(path, out)
    if tables_prefix is not None:
        for suffix in TABLE_SUFFIXES:
            Path(f"{tables_prefix}{suffix}").write_text(f"# trialmri clustsim: not run: {reason}\n")
    return out


SUMMARY_KEYS = ("term", "pthr", "alpha", "nn", "sided", "min_voxels")


def summarize_clusters(seeds, tables, sidecars) -> pd.DataFrame:
    """All seeds' cluster tables stacked, with each seed's threshold; a seed without clusters gets
    one row saying why (``note``)."""
    parts, columns = [], []
    for seed, table_path, sidecar_path in zip(seeds, tables, sidecars):
        meta = json.loads(Path(sidecar_path).read_text())
        table = read_tsv(table_path)
        columns += [c for c in table.columns if c not in columns]
        head = {"seed": seed, **{k: meta.get(k) for k in SUMMARY_KEYS}}
        if table.empty:
            note = meta.get("reason") or f"no cluster of at least {meta.get('min_voxels')} voxels"
            parts.append(pd.DataFrame([{**head, "note": note}]))
        else:
            parts.append(table.assign(**head, note=""))
    out = pd.concat(parts, ignore_index=True).reindex(columns=["seed", *SUMMARY_KEYS, *columns, "note"])
    for col in ("nn", "min_voxels", "cluster", "voxels"):
        if col in out:
            out[col] = pd.to_numeric(out[col]).astype("Int64")
    return out


def threshold_summary(out: dict, seed: str, term: str, pthr: float, alpha: float, nn: int) -> str:
    """The log line of one seed's clusters of ``term`` (``apply_threshold``'s result)."""
    if "reason" in out:
        return f"seed {seed}: no clusters: {out['reason']}"
    return (f"seed {seed}: {out['clusters']} cluster(s) of {term} at p < {pthr} with >= {out['min_voxels']} "
            f"voxels (NN{nn} {out['sided']}, alpha {alpha}); {out['voxels_supra']} voxels below p")


def terms_summary(out: dict, seed: str) -> str:
    """The log line of one seed's clusters of every term (``apply_threshold_terms``' result)."""
    return f"seed {seed}: " + (out.get("reason") or "; ".join(
        f"{term}: {t['clusters']} cluster(s) >= {t['min_voxels']} voxels ({t['sided']})"
        for term, t in out["terms"].items()))
