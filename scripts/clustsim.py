"""Snakemake glue (native engine): one seed's cluster-size table (trialmri clustsim) for the ACF of
its residuals, inside the fitted voxels."""

import json

from trialmri.clusters.cluster_files import run_clustsim, write_not_estimated
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    acf = json.loads(open(snakemake.input.acf).read())
    if not acf.get("fitted", True):
        write_not_estimated(snakemake.output[0], acf["reason"], tables_prefix=snakemake.params.prefix)
        print(f"seed {snakemake.wildcards.seed}: no table: {acf['reason']}")
    else:
        out = run_clustsim(snakemake.input.mask, acf["acf"], snakemake.params.pthr, snakemake.params.athr,
                           snakemake.params.iterations, snakemake.params.seed, snakemake.params.prefix,
                           workers=snakemake.threads, noise=snakemake.params.noise)
        print(f"seed {snakemake.wildcards.seed}: {out['iterations']} fields over {out['mask_voxels']} voxels; "
              f"NN1 2-sided: {out['NN1']['2-sided']}")
