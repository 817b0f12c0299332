"""What the inventory figure marks excluded, from the exclusions table's failed input checks."""

import pandas as pd

from trialmri.inventory import mark_failed_checks
from trialmri.tables import EXCLUSION_COLUMNS, failed_input_checks, session_failed

STATUS = {sub: {"DWI pre": "present", "DWI post": "present", "T1w": "present",
                "BOLD ketamine": "", "BOLD placebo": ""} for sub in ("01", "02", "03")}


def test_a_failed_session_or_t1w_marks_what_it_takes_out():
    exclusions = pd.DataFrame([("01", "post", "input_qc", "truncated"), ("02", "n/a", "input_qc", "T1w unreadable"),
                               ("03", "pre", "dti", "not an input check")], columns=EXCLUSION_COLUMNS)
    failed = failed_input_checks(exclusions)
    assert failed == {"01": {"post"}, "02": {"n/a"}}  # labels stay text; other steps are not input checks
    assert session_failed(failed["02"], "pre") and not session_failed(failed["01"], "pre")
    marked = mark_failed_checks(STATUS, failed)
    assert marked["01"] == {**STATUS["01"], "DWI post": "excluded"}
    # a failed T1w takes the whole subject out of the DTI arm, and the figure says so
    assert marked["02"] == {**STATUS["02"], "DWI pre": "excluded", "DWI post": "excluded", "T1w": "excluded"}
    assert marked["03"] == STATUS["03"] and STATUS["01"]["DWI post"] == "present"  # input not modified
