"""Post-hoc tests at the surviving clusters (trialmri.fc.posthoc): within each group, active
against placebo session of the mean z, checked against scipy.stats.ttest_rel and the formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialmri.fc.posthoc import COLUMNS, cluster_posthoc, paired_ttest, posthoc_sidecar


def cluster_fc_table() -> pd.DataFrame:
    """desc-clusters_fc.tsv rows: two clusters of seed VS; TRD t01-t05 and HV h01-h04 with both
    sessions except t05 (placebo only) and, in cluster 2, every HV but h01 (one pair left)."""
    rng = np.random.default_rng(3)
    rows = []
    for roi, region in (("cluster 1", "Left Frontal Pole"), ("cluster 2", "Right Insula")):
        for subject, group in [*((f"t0{i}", "TRD") for i in range(1, 6)), *((f"h0{i}", "HV") for i in range(1, 5))]:
            shift = 0.2 if group == "TRD" else -0.1
            for session in ("ketamine", "placebo"):
                if subject == "t05" and session == "ketamine":
                    continue
                if roi == "cluster 2" and group == "HV" and subject != "h01" and session == "placebo":
                    continue
                z = rng.normal(0.3, 0.1) + (shift if session == "ketamine" else 0.0)
                rows.append({"subject": subject, "session": session, "group": group, "treatment": session,
                             "order": "KP", "seed": "VS", "roi": roi, "region": region, "n_voxels": 50, "z": z})
    return pd.DataFrame(rows)


def test_paired_tests_per_cluster_and_group_equal_scipy_and_the_formulas():
    fc = cluster_fc_table()
    table = cluster_posthoc(fc, ["TRD", "HV"], "ketamine", "placebo")
    assert list(table.columns) == COLUMNS and len(table) == 4
    assert list(zip(table.roi, table.group)) == [("cluster 1", "TRD"), ("cluster 1", "HV"),
                                                  ("cluster 2", "TRD"), ("cluster 2", "HV")]
    for row in table.itertuples():
        part = fc[(fc.roi == row.roi) & (fc.group == row.group)].pivot(index="subject", columns="session",
                                                                       values="z").dropna()
        a, b = part["ketamine"].to_numpy(), part["placebo"].to_numpy()
        assert row.n == len(a)
        if row.roi == "cluster 2" and row.group == "HV":
            assert row.n == 1 and np.isnan(row.t) and "at least 2" in row.note
            continue
        assert row.n == 4  # TRD: t05 lacks the ketamine scan
        ref = stats.ttest_rel(a, b)
        assert row.t == pytest.approx(ref.statistic, rel=1e-12) and row.p == pytest.approx(ref.pvalue, rel=1e-12)
        d = a - b  # independent: the textbook formulas
        se = d.std(ddof=1) / math.sqrt(len(d))
        half = stats.t.ppf(0.975, len(d) - 1) * se
        assert row.mean_delta == pytest.approx(d.mean()) and row.df == len(d) - 1
        assert row.t == pytest.approx(d.mean() / se)
        assert (row.ci_low, row.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
        assert row.cohens_dz == pytest.approx(d.mean() / d.std(ddof=1))
        assert row.mean_active - row.mean_placebo == pytest.approx(row.mean_delta)  # delta = active - placebo
        assert row.note == ""


def test_degenerate_pairs_give_a_reason_not_a_crash():
    none = paired_ttest([], [])
    assert none["n"] == 0 and np.isnan(none["t"]) and "0 subject" in none["note"]
    flat = paired_ttest([1.0, 2.0, np.nan], [0.5, 1.5, 0.2])
    assert flat["n"] == 2 and flat["mean_delta"] == pytest.approx(0.5)
    assert np.isnan(flat["p"]) and "SD 0" in flat["note"]


def test_no_cluster_gives_a_header_and_the_seeds_reasons():
    empty = pd.DataFrame(columns=["subject", "session", "group", "treatment", "order", "seed", "roi", "region",
                                  "n_voxels", "z"])
    table = cluster_posthoc(empty, ["TRD", "HV"], "ketamine", "placebo")
    assert table.empty and list(table.columns) == COLUMNS
    summary = pd.DataFrame({"seed": ["VS", "DC"], "note": ["no cluster of at least 7 voxels", "too few subjects"]})
    meta = posthoc_sidecar(table, summary, "group:treatment", ["TRD", "HV"], "ketamine", "placebo")
    assert meta["clusters"] == 0
    assert meta["reason"] == ("no cluster of group:treatment survived: VS: no cluster of at least 7 voxels; "
                              "DC: too few subjects")
    found = posthoc_sidecar(cluster_posthoc(cluster_fc_table(), ["TRD", "HV"], "ketamine", "placebo"), summary,
                            "group:treatment", ["TRD", "HV"], "ketamine", "placebo")
    assert found["clusters"] == 2 and "reason" not in found
