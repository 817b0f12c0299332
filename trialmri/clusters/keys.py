"""Keys of the cluster-size tables (light: the workflow imports it when it plans jobs).

``SIDES`` are 3dClustSim's sidedness cases; :func:`prob_key` writes a probability (pthr, alpha)
as the stable text used for JSON keys and AFNI's table headers.
"""

SIDES = ("1-sided", "2-sided", "bisided")


def prob_key(x: float) -> str:
    """Stable text of a probability for JSON keys: 0.005 -> "0.005", 1e-4 -> "0.0001"."""
    import numpy as np

    return np.format_float_positional(float(x), trim="-")
