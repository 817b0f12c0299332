"""Snakemake glue: all subjects' checks -> input_qc.tsv, exclusions.tsv, inventory figure."""

import pandas as pd

from trialmri.inventory import mark_failed_checks, plot_inventory
from trialmri.tables import read_tsv, write_tsv
from trialmri.qc.arm_failures import whole_arm_failure
from trialmri.qc.inputs import failures_as_exclusions
from trialmri.tables import COLUMNS, EXCLUSION_COLUMNS, failed_input_checks
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    frames = [read_tsv(path) for path in snakemake.input.qc]
    qc = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    found = pd.DataFrame(snakemake.params.discovery_exclusions, columns=EXCLUSION_COLUMNS)
    phenotype = read_tsv(snakemake.input.phenotype)
    exclusions = pd.concat([found, failures_as_exclusions(qc), failures_as_exclusions(phenotype, "phenotype")],
                           ignore_index=True)
    qc = pd.concat([qc, phenotype], ignore_index=True)
    exclusions = exclusions.sort_values(["subject", "session", "step"], kind="stable")
    write_tsv(snakemake.output.qc, qc)
    write_tsv(snakemake.output.exclusions, exclusions)
    status = mark_failed_checks(snakemake.params.status, failed_input_checks(exclusions))
    plot_inventory(status, snakemake.output.inventory)
    print(f"{len(qc)} checks over {qc['subject'].nunique()} subjects; {len(exclusions)} exclusion rows")
    failed = failed_input_checks(exclusions)
    stops = [m for arm, sessions in snakemake.params.arm_sessions.items()
             if (m := whole_arm_failure(qc, failed, arm, [tuple(k) for k in sessions]))]
    if stops:
        print(exclusions.to_string(index=False))
        raise SystemExit("\n".join(stops))
