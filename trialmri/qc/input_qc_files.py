"""All subjects' input checks in one place (checkpoint collect_input_qc): the QC table (every
subject's checks, then the phenotype's), the exclusions table (found at discovery, then each
failed check; sorted by subject, session, step), the inventory figure, and why a whole arm stops."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trialmri.inventory import mark_failed_checks, plot_inventory
from trialmri.qc.arm_failures import whole_arm_failure
from trialmri.qc.inputs import failures_as_exclusions
from trialmri.tables import COLUMNS, EXCLUSION_COLUMNS, failed_input_checks, read_tsv, write_tsv


@dataclass
class InputQC:
    """The collected checks: ``qc`` and ``exclusions`` tables, and ``stops``: one message per arm
    whose every session failed (empty: the workflow goes on)."""

    qc: pd.DataFrame
    exclusions: pd.DataFrame
    stops: list[str]


def collect_input_qc(qc_paths, phenotype_path, discovery_exclusions, status, arm_sessions, qc_out,
                     exclusions_out, inventory_png) -> InputQC:
    """Write the QC and exclusions tables and the inventory figure (``status``: the discovery's
    per-session status, failed checks marked on it). ``discovery_exclusions``: rows of
    EXCLUSION_COLUMNS; ``arm_sessions``: {arm: [[subject, session], ...]} of every discovered session."""
    frames = [read_tsv(path) for path in qc_paths]
    qc = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    found = pd.DataFrame(discovery_exclusions, columns=EXCLUSION_COLUMNS)
    phenotype = read_tsv(phenotype_path)
    exclusions = pd.concat([found, failures_as_exclusions(qc), failures_as_exclusions(phenotype, "phenotype")],
                           ignore_index=True)
    qc = pd.concat([qc, phenotype], ignore_index=True)
    exclusions = exclusions.sort_values(["subject", "session", "step"], kind="stable")
    write_tsv(qc_out, qc)
    write_tsv(exclusions_out, exclusions)
    failed = failed_input_checks(exclusions)
    plot_inventory(mark_failed_checks(status, failed), inventory_png)
    stops = [m for arm, sessions in arm_sessions.items()
             if (m := whole_arm_failure(qc, failed, arm, [tuple(k) for k in sessions]))]
    return InputQC(qc, exclusions, stops)
