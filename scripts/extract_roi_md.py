"""Snakemake glue: mean MD per ROI for every DTI subject and session (long table)."""

from trialmri.dwi.roi_files import roi_md_table
from trialmri.tables import write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    write_tsv(snakemake.output.table, roi_md_table(i.masks, p.rois, i.maps, p.sessions))
    print(f"{len(i.maps)} MD maps x {len(p.rois)} ROIs")
