"""Snakemake glue: seed and control spheres on the BOLD grid -> label map, table, figure."""

from trialmri.fc.seed_roi_files import write_seed_rois
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    table = write_seed_rois(p.rois, p.radius_mm, p.min_voxels, i.reference[0], i.template, o.labels, o.table,
                            o.figure)
    print(table.to_string(index=False))
