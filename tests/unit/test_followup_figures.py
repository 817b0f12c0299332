"""Study 000's Figures 1-4 from the follow-up tables (trialmri.fc.followup_figures): the Fisher z
titles, every file written with one cluster, and with no cluster at all."""

import numpy as np
import pandas as pd

from trialmri.fc.followup_figures import FIGURE_FILES, fisher_titles, panels_of, write_followup_figures

SETTINGS = {"patient": "TRD", "control": "HV", "active": "ket", "placebo": "pla",
            "crp": {"score": "crp", "transform": "log", "label": "CRP (mg/L)"}, "symptoms": {"madrs": "MADRS"},
            "symptom_groups": ["TRD"], "term": "group:treatment", "figure_symptoms": ["madrs"]}


def fc(rng, roi, region=None):
    rows = [{"subject": f"{k:02d}", "group": "TRD" if k % 2 else "HV", "treatment": t, "seed": "sgACC", "roi": roi,
             "z": rng.normal()} for k in range(8) for t in ("ket", "pla")]
    table = pd.DataFrame(rows)
    return table.assign(region=region) if region else table


def test_fisher_titles_say_the_test_or_too_few_subjects():
    fisher = pd.DataFrame({"seed": ["s", "s"], "roi": ["c1", "c2"], "z": [1.234, np.nan], "p": [0.0456, np.nan]})
    titles = fisher_titles(fisher, [("s", "c1"), ("s", "c2")], {("s", "c1"): "Left BA10", ("s", "c2"): "x"})
    assert titles[("s", "c1")] == "s c1 (Left BA10)\nFisher z = 1.23, p = 0.046"
    assert titles[("s", "c2")].endswith("Fisher z: too few subjects")
    assert panels_of(pd.DataFrame({"seed": ["b", "a", "b"], "roi": ["1", "1", "1"]})) == [("b", "1"), ("a", "1")]


def test_every_figure_with_one_cluster_and_with_none(tmp_path):
    rng = np.random.default_rng(0)
    clusters = fc(rng, "cluster 1", "Left Frontal Pole")
    changes = pd.DataFrame({"subject": [f"{k:02d}" for k in range(8)], "group": ["HV", "TRD"] * 4, "seed": "sgACC",
                            "roi": "cluster 1", "region": "Left Frontal Pole", "delta_fc": rng.normal(size=8),
                            "delta_log_crp": rng.normal(size=8), "delta_madrs": rng.normal(size=8)})
    lme = pd.DataFrame({"seed": ["sgACC"], "roi": ["V1"], "term": ["group:treatment"], "F": [1.5], "df_num": [1],
                        "df_den": [6.0], "p": [0.26], "note": [None]})
    fisher = pd.DataFrame({"seed": ["sgACC"], "roi": ["cluster 1"], "z": [0.5], "p": [0.6]})
    paths = {key: tmp_path / f"{key.replace('_', '.')}" for key in FIGURE_FILES}
    line = write_followup_figures(fc(rng, "V1"), lme, clusters, changes, fisher, SETTINGS, paths)
    assert line == "figures: 1 cluster(s), 1 cluster panels"
    assert all(path.stat().st_size > 0 for path in paths.values())
    empty = tmp_path / "empty"
    empty.mkdir()
    paths = {key: empty / f"{key.replace('_', '.')}" for key in FIGURE_FILES}
    line = write_followup_figures(fc(rng, "V1"), lme, clusters.iloc[:0], changes.iloc[:0], fisher.iloc[:0],
                                  SETTINGS, paths)
    assert line == "figures: 0 cluster(s), 0 cluster panels" and all(p.exists() for p in paths.values())
