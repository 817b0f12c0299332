"""What each subject contributes, as a table and a picture an analyst can scan in seconds."""

from __future__ import annotations

import pandas as pd

from trialmri.bids.discovery import Inventory
from trialmri.tables import NO_SESSION, session_failed

STATUS_COLOURS = {"present": "#2b8a3e", "missing": "#f08c00", "excluded": "#c92a2a", "": "#f1f3f5"}


def inventory_status(inv: Inventory, dti: dict, rs: dict) -> dict[str, dict[str, str]]:
    """``{subject: {column: status}}`` with status present, missing, excluded or '' (not in arm).

    Columns: ``DWI <pre>``, ``DWI <post>``, ``T1w``, ``BOLD <active>``, ``BOLD <placebo>``.
    """
    excluded = {(e.subject, e.session) for e in inv.exclusions}
    subjects = sorted(set(inv.dwi) | set(inv.bold) | {e.subject for e in inv.exclusions if e.subject != "n/a"})
    dti_ses = [dti["sessions"]["pre"], dti["sessions"]["post"]]
    rs_ses = [rs["sessions"]["active"], rs["sessions"]["placebo"]]
    out = {}
    for sub in subjects:
        whole = (sub, NO_SESSION) in excluded
        row = {}
        in_dti = sub in inv.dwi or any(e.subject == sub and e.step == "dwi" for e in inv.exclusions)
        for ses in dti_ses:
            row[f"DWI {ses}"] = _status(in_dti, ses in inv.dwi.get(sub, {}), whole or (sub, ses) in excluded)
        row["T1w"] = _status(in_dti, sub in inv.t1w, whole)
        in_rs = sub in inv.bold
        for ses in rs_ses:
            row[f"BOLD {ses}"] = _status(in_rs, ses in inv.bold.get(sub, {}), whole or (sub, ses) in excluded)
        out[sub] = row
    return out


def mark_failed_checks(status: dict[str, dict[str, str]], failed: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """``status`` with what the failed input checks took out (``failed``: from
    :func:`~trialmri.qc.table.failed_input_checks`) turned from present to excluded: a session's
    columns, or every column of a subject whose T1w failed."""
    out = {sub: dict(row) for sub, row in status.items()}
    for sub, sessions in failed.items():
        columns = out.get(sub, {})
        for column, value in columns.items():
            touched = NO_SESSION in sessions if column == "T1w" else session_failed(sessions, column.split(" ")[-1])
            if touched and value == "present":
                columns[column] = "excluded"
    return out


def _status(in_arm: bool, found: bool, excluded: bool) -> str:
    if not in_arm:
        return ""
    if not found:
        return "missing"
    return "excluded" if excluded else "present"


def plot_inventory(status: dict[str, dict[str, str]], path) -> None:
    """A subjects x inputs grid coloured by status, saved as PNG."""
    import matplotlib.pyplot as plt  # here, not at the top: the workflow imports this module at parse time
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from trialmri.figures import DPI_CORRECTIONS, save_figure

    table = pd.DataFrame(status).T.fillna("")
    codes = {s: i for i, s in enumerate(STATUS_COLOURS)}
    grid = table.replace(codes).to_numpy(dtype=float) if not table.empty else [[codes[""]]]
    height = max(2.5, 0.22 * len(table) + 1.5)
    fig, ax = plt.subplots(figsize=(1.1 * max(len(table.columns), 1) + 3, height))
    ax.imshow(grid, cmap=ListedColormap(list(STATUS_COLOURS.values())), vmin=0,
              vmax=len(STATUS_COLOURS) - 1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(len(table)), [f"sub-{s}" for s in table.index], fontsize=7)
    ax.legend(handles=[Patch(color=c, label=s or "not in arm") for s, c in STATUS_COLOURS.items()],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_xticks([x - 0.5 for x in range(1, len(table.columns))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(table))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.set_title(f"Inputs per subject (n = {len(table)})")
    fig.tight_layout()
    save_figure(fig, path, dpi=DPI_CORRECTIONS)
