"""Snakemake glue: per-subject input checks -> sub-X_desc-inputs_qc.tsv."""

from trialmri.fc.strategy import DenoiseStrategy
from trialmri.tables import write_tsv
from trialmri.qc.inputs import check_subject
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    subject = snakemake.wildcards.subject
    table = check_subject(subject, dict(snakemake.input.items()),
                          DenoiseStrategy.from_config(snakemake.params.denoise), snakemake.params.bold_tr_s,
                          snakemake.params.tr_source)
    write_tsv(snakemake.output.qc, table)
    for note in table.attrs.get("notes", []):
        print(f"sub-{subject} {note}")
    print(f"sub-{subject}: {len(table)} checks, {int((table['status'] == 'fail').sum())} failed")
