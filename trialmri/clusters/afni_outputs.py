"""AFNI engine of the cluster step: 3dFWHMx's stdout and 3dClustSim's tables read into the native
programs' JSON (``cluster_files``). Both formats and the command lines:
:mod:`trialmri.clusters.afni_commands`.
"""

from __future__ import annotations

import re
from pathlib import Path

from trialmri import __version__
from trialmri.clusters.afni_commands import TABLE_SUFFIXES
from trialmri.clusters.keys import prob_key


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
