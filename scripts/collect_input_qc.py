"""Snakemake glue: all subjects' checks -> input_qc.tsv, exclusions.tsv, inventory figure."""

from trialmri.qc.input_qc_files import collect_input_qc
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, o, p = snakemake.input, snakemake.output, snakemake.params
    found = collect_input_qc(i.qc, i.phenotype, p.discovery_exclusions, p.status, p.arm_sessions, o.qc,
                             o.exclusions, o.inventory)
    print(f"{len(found.qc)} checks over {found.qc['subject'].nunique()} subjects; "
          f"{len(found.exclusions)} exclusion rows")
    if found.stops:
        print(found.exclusions.to_string(index=False))
        raise SystemExit("\n".join(found.stops))
