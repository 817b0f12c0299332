"""AFNI engine of the cluster step: the ``3dFWHMx -acf`` and ``3dClustSim -acf`` command lines, and
their outputs read into the native programs' JSON (``cluster_files``).

nipype's 3dFWHMx interface predates ``-acf``'s current output and it has no 3dClustSim, so the
argument lists are written here from the programs' help:

- ``3dFWHMx -ShowMeClassicFWHM -acf ACF.1D -mask M -input RESID > OUT``: stdout has two lines of
  four numbers (``#`` comments aside): the classic FWHM x y z and their combination, then the ACF
  parameters a b c and the ACF's FWHM (mm);
- ``3dClustSim -mask M -acf a b c -pthr ... -athr ... -iter N -seed S -prefix P`` writes one table
  per neighbourhood and sidedness, ``P.NN1_1sided.1D`` ... ``P.NN3_bisided.1D``: comment lines,
  among them ``#  pthr  | .05000 .01000`` (the alphas), then one row per p: the p and one cluster
  size per alpha.
"""

from __future__ import annotations

import re
from pathlib import Path

from trialmri import __version__
from trialmri.clusters.keys import SIDES, prob_key
from trialmri.shell_words import join_words

TABLE_SUFFIXES = tuple(f".NN{nn}_{side.replace('-', '')}.1D" for nn in (1, 2, 3) for side in SIDES)


def fwhmx_command(resid: str, mask: str, acf_1d: str, out: str) -> str:
    """3dFWHMx -acf on residuals in a mask, its stdout to ``out`` (placeholders kept)."""
    argv = ["3dFWHMx", "-ShowMeClassicFWHM", "-acf", acf_1d, "-mask", mask, "-input", resid]
    return join_words(argv) + f" > {out}"


def clustsim_command(mask: str, acf_words_file: str, pthr, athr, iterations, seed, prefix: str) -> str:
    """3dClustSim -acf with the a b c read from ``acf_words_file`` (one line, 'a b c') by the shell."""
    head = join_words(["3dClustSim", "-mask", mask])
    tail = join_words(["-pthr", *map(str, pthr), "-athr", *map(str, athr), "-iter", str(iterations),
                       "-seed", str(seed), "-prefix", prefix])
    return f"{head} -acf $(cat {acf_words_file}) {tail}"


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
