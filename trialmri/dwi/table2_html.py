"""Table 2 rendered as a small self-contained HTML page: one row per ROI x outcome, one column
group per model (main, then each sensitivity covariate), β, t(df) and p of the interaction."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from trialmri.stats.group_tests import format_p

STYLE = """body{font-family:Helvetica,Arial,sans-serif;font-size:13px;margin:1.5em}
table{border-collapse:collapse}th,td{padding:3px 9px;text-align:right;white-space:nowrap}
th{border-bottom:1px solid #333}td.l,th.l{text-align:left}tr.first td{border-top:1px solid #ccc}
td.sig{font-weight:bold}caption{caption-side:bottom;text-align:left;padding-top:.8em;color:#444;
max-width:70em;white-space:normal}"""


def render_table2(table: pd.DataFrame, roi_labels: dict[str, str], outcome_labels: dict[str, str],
                  model_labels: dict[str, str], caption: str, alpha: float = 0.05) -> str:
    """HTML of Table 2 (rows of :func:`trialmri.dwi.dti_tests.table2`). p < ``alpha`` in bold."""
    models = list(dict.fromkeys(table["model"]))
    head = ["<th class=l>ROI</th><th class=l>Outcome</th>"]
    head += [f"<th colspan=3>{html.escape(model_labels.get(m, m))}</th>" for m in models]
    sub = ["<th class=l></th><th class=l></th>"] + ["<th>β</th><th>t(df)</th><th>p</th>"] * len(models)
    body = []
    for roi in dict.fromkeys(table["roi"]):
        for i, outcome in enumerate(dict.fromkeys(table.loc[table["roi"] == roi, "outcome"])):
            cells = [f"<td class=l>{html.escape(roi_labels.get(roi, roi)) if i == 0 else ''}</td>",
                     f"<td class=l>{html.escape(outcome_labels.get(outcome, outcome))}</td>"]
            for m in models:
                row = table[(table["roi"] == roi) & (table["outcome"] == outcome) & (table["model"] == m)]
                if row.empty:
                    cells.append("<td></td>" * 3)
                    continue
                r = row.iloc[0]
                if not pd.notna(r["t"]):
                    note = html.escape(str(r.get("note") or "not estimable"))
                    cells.append(f"<td colspan=3 title='{note}'>n/a</td>")
                    continue
                cls = " class=sig" if r["p"] < alpha else ""
                cells.append(f"<td>{r['beta']:.3f}</td><td>{r['t']:.3f} ({int(r['df'])})</td>"
                             f"<td{cls}>{format_p(r['p'])}</td>")
            body.append(f"<tr{' class=first' if i == 0 else ''}>{''.join(cells)}</tr>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Table 2</title>"
            f"<style>{STYLE}</style></head><body><table><caption>{html.escape(caption)}</caption>"
            f"<thead><tr>{''.join(head)}</tr><tr>{''.join(sub)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></body></html>\n")


def write_table2_html(path, *args, **kwargs) -> Path:
    """:func:`render_table2` written to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_table2(*args, **kwargs), encoding="utf-8")
    return path
