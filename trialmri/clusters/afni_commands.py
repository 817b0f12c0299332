"""AFNI engine of the cluster step: the ``3dFWHMx -acf`` and ``3dClustSim -acf`` command lines and
the names of 3dClustSim's tables (standard library only: the workflow builds them at parse time).
Their outputs are read into the native programs' JSON by :mod:`trialmri.clusters.afni_outputs`.

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

from trialmri.clusters.keys import SIDES
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
