"""AFNI engine of the cluster step: 3dFWHMx's stdout and 3dClustSim's tables read into the native
programs' JSON (``cluster_files``). Both formats and the command lines:
:mod:`trialmri.clusters.afni_commands`.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from trialmri import __version__
from trialmri.clusters.afni_commands import TABLE_SUFFIXES
from trialmri.clusters.cluster_files import write_acf_words
from trialmri.clusters.keys import prob_key
from trialmri.text_files import write_json


def read_fwhmx_stdout(path) -> dict:
    """3dFWHMx's stdout as ``{"acf": [a, b, c], "acf_fwhm_mm": .., "fwhm_xyz_mm": [..]}``."""
    rows = []
    for line in Path(path).read_text().splitlines():
        words = line.split()
        if not words or line.lstrip().startswith("#"):
            continue
        try:
            rows.append([float(w) for w in words])
        except ValueError:
            continue
    rows = [r for r in rows if len(r) == 4]
    if len(rows) < 2:
        raise ValueError(f"{path}: expected 3dFWHMx's two lines of 4 numbers (classic FWHM, then ACF "
                         f"a b c FWHM); found {len(rows)}. Was -acf given and did 3dFWHMx finish?")
    classic, acf = rows[-2], rows[-1]
    if acf[3] <= 0:
        raise ValueError(f"{path}: 3dFWHMx's ACF fit failed (FWHM {acf[3]})")
    return {"acf": acf[:3], "acf_fwhm_mm": acf[3], "fwhm_xyz_mm": classic[:3],
            "fwhm_combined_mm": classic[3], "engine": "AFNI 3dFWHMx -acf", "converted_by": f"trialmri {__version__}"}


def read_clustsim_table(path) -> dict[str, dict[str, float]]:
    """One 3dClustSim .1D table as ``{pthr: {alpha: size}}``."""
    alphas = None
    out: dict[str, dict[str, float]] = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            m = re.match(r"#\s*pthr\s*\|(.*)", line)
            if m:
                alphas = [prob_key(float(a)) for a in m.group(1).split()]
            continue
        words = line.split()
        if not words:
            continue
        if alphas is None:
            raise ValueError(f"{path}: no '#  pthr  | alphas' header before the table rows")
        values = [float(w) for w in words]
        out[prob_key(values[0])] = dict(zip(alphas, values[1:]))
    if not out:
        raise ValueError(f"{path}: no table rows")
    return out


def read_clustsim_tables(prefix) -> dict:
    """All nine tables of ``3dClustSim -prefix P`` as our JSON layout (NN -> sidedness -> p -> alpha)."""
    out: dict = {}
    for suffix in TABLE_SUFFIXES:
        nn, side = suffix[1:].split(".")[0].split("_")
        side = {"1sided": "1-sided", "2sided": "2-sided", "bisided": "bisided"}[side]
        path = Path(f"{prefix}{suffix}")
        if not path.exists():
            raise FileNotFoundError(f"3dClustSim table {path} is missing (3dClustSim writes all nine NN x "
                                    "sidedness tables with -prefix)")
        out.setdefault(nn, {})[side] = read_clustsim_table(path)
    return out


def convert_clustsim_outputs(work_dir, acf_path, mask_path, iterations: int, seed: int, afni_version: str,
                             container: str, prefix: str, out_json) -> dict:
    """3dClustSim's nine tables in ``work_dir`` (prefix ``clustsim``) -> the native clustsim JSON
    ``out_json`` (the tables, the ACF of ``acf_path``, the mask, iterations, seed, engine, version and
    container), and the tables copied to ``prefix`` + their AFNI suffixes. Returns the tables."""
    work_prefix = f"{work_dir}/clustsim"
    table = read_clustsim_tables(work_prefix)
    acf = json.loads(Path(acf_path).read_text())
    meta = {"acf": acf.get("acf"), "mask": mask_path, "iterations": iterations, "seed": seed,
            "engine": "AFNI 3dClustSim -acf", "version": afni_version, "container": container,
            "converted_by": f"trialmri {__version__}"}
    write_json(out_json, {**table, **meta})
    for suffix in TABLE_SUFFIXES:
        shutil.copyfile(f"{work_prefix}{suffix}", f"{prefix}{suffix}")
    return table


def convert_fwhmx_outputs(stdout_path, afni_version: str, container: str, acf_out, words_out) -> dict:
    """3dFWHMx's stdout -> the native fwhmx JSON ``acf_out`` (with version and container) and the
    ``a b c`` line ``words_out``. Returns what the JSON holds."""
    out = {**read_fwhmx_stdout(stdout_path), "version": afni_version, "container": container}
    write_json(acf_out, out)
    write_acf_words(words_out, out)
    return out
