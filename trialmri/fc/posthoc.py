"""Post-hoc tests at the surviving clusters of the term of interest (study 000's Supplementary
Table S5, "ketamine's group-specific effects"): within each group, the active session against the
placebo session of the subjects' mean Fisher z in the cluster.

Units: Fisher z (atanh r, dimensionless) throughout. Sign convention: delta = active − placebo
session (ketamine − placebo), per subject with a finite z in both sessions; ``mean_delta`` > 0 and
t > 0 when connectivity is higher after the active infusion. The test is Student's paired t-test
(``scipy.stats.ttest_rel(active, placebo)``): t = mean(delta) / (sd(delta) / √n), df = n − 1,
two-tailed p, and the 95 % CI of mean(delta) from the t distribution; ``cohens_dz`` =
mean(delta) / sd(delta). A cluster whose group has fewer than 2 pairs, or whose deltas are all
equal, gets a row with n and the ``note`` saying why, and no statistics.

The clusters were selected by the group × treatment effect, so these tests describe that effect's
direction in each group; they are not independent confirmations of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from trialmri.fc.followup import changes

BY = ["seed", "roi", "region"]
PAIRED_COLUMNS = ["n", "mean_active", "mean_placebo", "mean_delta", "sd_delta", "t", "df", "p", "ci_low",
                  "ci_high", "cohens_dz", "note"]
COLUMNS = [*BY, "group", "active", "placebo", *PAIRED_COLUMNS]


def paired_ttest(active, placebo, confidence: float = 0.95) -> dict:
    """Paired t-test of ``active`` against ``placebo`` (same subjects, same order) over the pairs
    where both are finite; see the module doc. Returns :data:`PAIRED_COLUMNS`."""
    a = pd.to_numeric(pd.Series(active), errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(pd.Series(placebo), errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    delta = a - b
    n = int(delta.size)
    row = {"n": n, "mean_active": a.mean() if n else np.nan, "mean_placebo": b.mean() if n else np.nan,
           "mean_delta": delta.mean() if n else np.nan, "sd_delta": delta.std(ddof=1) if n > 1 else np.nan,
           **{k: np.nan for k in ("t", "df", "p", "ci_low", "ci_high", "cohens_dz")}, "note": ""}
    if n < 2:
        return row | {"note": f"{n} subject(s) with both sessions: a paired test needs at least 2"}
    if row["sd_delta"] == 0:
        return row | {"df": n - 1, "note": "every subject has the same change: t is undefined (SD 0)"}
    test = stats.ttest_rel(a, b)
    ci = test.confidence_interval(confidence)
    return row | {"t": float(test.statistic), "df": n - 1, "p": float(test.pvalue), "ci_low": float(ci.low),
                  "ci_high": float(ci.high), "cohens_dz": row["mean_delta"] / row["sd_delta"]}


def cluster_posthoc(cluster_fc: pd.DataFrame, groups, active: str, placebo: str) -> pd.DataFrame:
    """Per cluster of ``cluster_fc`` (``desc-clusters_fc.tsv``: one row per session, seed and
    cluster) and per group in ``groups``: :func:`paired_ttest` of the ``active`` session's z
    against the ``placebo`` session's. Header only when there is no cluster."""
    if cluster_fc.empty:
        return pd.DataFrame(columns=COLUMNS)
    pairs = changes(cluster_fc, "z", BY, active, placebo)
    rows = []
    for key, _ in cluster_fc.groupby(BY, sort=False):
        cluster = pairs[(pairs[BY] == pd.Series(key, index=BY)).all(axis=1)]
        for group in groups:
            sel = cluster[cluster.group == group]
            rows.append({**dict(zip(BY, key)), "group": group, "active": active, "placebo": placebo,
                         **paired_ttest(sel[f"z_{active}"], sel[f"z_{placebo}"])})
    return pd.DataFrame(rows, columns=COLUMNS)


def posthoc_sidecar(table: pd.DataFrame, summary: pd.DataFrame, term: str, groups, active: str,
                    placebo: str) -> dict:
    """The JSON beside the post-hoc table: the test, its sign convention, the groups and sessions,
    and when no cluster survived, why (each seed's note in ``desc-clusters_summary.tsv``)."""
    out = {"term": term, "test": "paired t-test (scipy.stats.ttest_rel), two-tailed, 95 % CI",
           "delta": f"{active} - {placebo} (Fisher z)", "groups": list(groups),
           "sessions": {"active": active, "placebo": placebo},
           "clusters": int(len(table.groupby(BY))) if len(table) else 0}
    if not len(table):
        notes = summary[summary["note"].fillna("").astype(str) != ""] if "note" in summary else summary.iloc[:0]
        out["reason"] = "no cluster of {} survived: {}".format(
            term, "; ".join(f"{row.seed}: {row.note}" for row in notes.itertuples()) or "no seed")
    return out
