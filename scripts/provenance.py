"""Snakemake glue: config, exclusions.tsv and input_qc.tsv -> provenance.html (report page)."""

from trialmri.tables import read_tsv
from trialmri.provenance import write_provenance_html
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    write_provenance_html(snakemake.output.page, snakemake.config,
                          read_tsv(snakemake.input.exclusions), read_tsv(snakemake.input.qc))
