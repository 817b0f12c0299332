"""Snakemake glue: MD and FA resampled once into MNI through the composed ANTs chain."""

from trialmri.dwi.registration import warp_maps, write_warp_sidecar
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o = snakemake.input, snakemake.output
    chain = [i[k] for k in ("warp", "affine", "dwi_to_t1w", "session") if k in i.keys()]
    weight = warp_maps({"md": i.md, "fa": i.fa}, i.mask, i.template, chain, {"md": o.md, "fa": o.fa})
    write_warp_sidecar(o.sidecar, [i.md, i.fa, *chain], i.template)
    print(f"chain of {len(chain)} transforms; {int((weight >= 0.5).sum())} template voxels with data")
