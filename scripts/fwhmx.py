"""Snakemake glue (native engine): smoothness of one seed's LME residuals (trialmri fwhmx) inside the
fitted voxels. A model that was not fitted, or residuals too few to estimate an ACF, give a JSON
with ``"fitted": false`` and the reason; the cluster step then reports no clusters and why."""

from trialmri.clusters.cluster_files import run_fwhmx, write_acf_words, write_not_estimated
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    prefix = snakemake.output.acf.removesuffix(".json")
    try:
        out = run_fwhmx(snakemake.input.resid, snakemake.input.mask, prefix)
    except ValueError as err:
        out = write_not_estimated(snakemake.output.acf, str(err))
        print(f"seed {snakemake.wildcards.seed}: smoothness not estimated: {err}")
    else:
        print(f"seed {snakemake.wildcards.seed}: ACF {out['acf']}, ACF FWHM {out['acf_fwhm_mm']:.2f} mm, "
              f"classic FWHM {out['fwhm_xyz_mm']}")
    write_acf_words(snakemake.output.words, out)
