"""Snakemake glue: one seed's clusters of the term of interest (p < pthr, at least the simulated
size): label map, table with MNI peaks and atlas labels, JSON with the threshold used."""

from trialmri.clusters.cluster_files import apply_threshold
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    out = apply_threshold(snakemake.input.stats, snakemake.input.sidecar, snakemake.input.mask,
                          snakemake.input.clustsim, p.term, p.pthr, p.alpha, p.nn, p.sided,
                          snakemake.output.dseg, snakemake.output.table, snakemake.output.sidecar,
                          atlases=p.atlases, prob_threshold=p.atlas_probability)
    if "reason" in out:
        print(f"seed {snakemake.wildcards.seed}: no clusters: {out['reason']}")
    else:
        print(f"seed {snakemake.wildcards.seed}: {out['clusters']} cluster(s) of {p.term} at p < {p.pthr} with "
              f">= {out['min_voxels']} voxels (NN{p.nn} {out['sided']}, alpha {p.alpha}); "
              f"{out['voxels_supra']} voxels below p")
