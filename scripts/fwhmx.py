"""Snakemake glue (native engine): smoothness of one seed's LME residuals (trialmri fwhmx) inside the
fitted voxels. A model that was not fitted, or residuals too few to estimate an ACF, give a JSON
with ``"fitted": false`` and the reason; the cluster step then reports no clusters and why."""

from trialmri.clusters.smoothness_files import seed_smoothness
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o = snakemake.input, snakemake.output
    print(seed_smoothness(i.resid, i.mask, o.acf, o.words, snakemake.wildcards.seed))
