"""Snakemake glue: dataset_description.json of the derivatives tree."""

from trialmri.bids.derivatives import dataset_description
from trialmri.text_files import write_json
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    write_json(snakemake.output.description, dataset_description(p.source, p.engines, p.containers))
