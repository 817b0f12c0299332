"""All subjects' input checks collected (trialmri.qc.input_qc_files): QC and exclusions tables in
their order, and a stop message only when a whole arm failed."""

import pandas as pd

from trialmri.qc.input_qc_files import collect_input_qc
from trialmri.tables import COLUMNS, qc_row, read_tsv, write_tsv

SESSIONS = [["290", "ketamine"], ["290", "placebo"]]


def write_checks(tmp_path, failing):
    rows = [qc_row(sub, ses, f"sub-{sub}_ses-{ses}_bold.nii.gz", "readable", (sub, ses) not in failing, "bad header")
            for sub, ses in SESSIONS]
    write_tsv(tmp_path / "qc.tsv", pd.DataFrame(rows, columns=COLUMNS))
    write_tsv(tmp_path / "phenotype.tsv", pd.DataFrame([qc_row("047", "ketamine", "scores.tsv", "crp", False,
                                                               "no crp")], columns=COLUMNS))


def run(tmp_path):
    status = {"290": {"BOLD ketamine": "present", "BOLD placebo": "present"}}
    return collect_input_qc([tmp_path / "qc.tsv"], tmp_path / "phenotype.tsv",
                            [{"subject": "100", "session": "n/a", "step": "discovery", "reason": "no T1w"}],
                            status, {"rsfmri": SESSIONS}, tmp_path / "input_qc.tsv", tmp_path / "exclusions.tsv",
                            tmp_path / "inventory.png")


def test_tables_in_order_and_one_failed_session_does_not_stop(tmp_path):
    write_checks(tmp_path, [("290", "placebo")])
    found = run(tmp_path)
    assert found.stops == []
    assert list(read_tsv(tmp_path / "input_qc.tsv", text=True).subject) == ["290", "290", "047"]
    exclusions = read_tsv(tmp_path / "exclusions.tsv", text=True)
    assert list(zip(exclusions.subject, exclusions.step)) == [("047", "phenotype"), ("100", "discovery"),
                                                              ("290", "input_qc")]
    assert (tmp_path / "inventory.png").stat().st_size > 0


def test_a_whole_arm_failing_gives_its_stop_message(tmp_path):
    write_checks(tmp_path, [tuple(s) for s in SESSIONS])
    found = run(tmp_path)
    assert len(found.stops) == 1 and found.stops[0].startswith("every rsfMRI session failed the input checks")
