"""One seed's LME from files (trialmri.lme.seed_lme_files): a fitted model with a centred
covariate, a model the data cannot estimate written and drawn as such."""

import json

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri.lme.seed_lme_files import fit_seed_lme, plot_seed_lme

FORMULA = "group*treatment+order"


def data_table(tmp_path, n_subjects):
    rng = np.random.default_rng(1)
    rows = []
    for k in range(n_subjects):
        for t in ("ketamine", "placebo"):
            path = f"m{k}{t}.nii.gz"
            nib.save(nib.Nifti1Image(rng.normal(size=(3, 3, 2)).astype(np.float32), np.eye(4)), tmp_path / path)
            rows.append({"subject": f"s{k}", "group": "TRD" if k % 2 else "HV", "treatment": t,
                         "order": "KP" if k % 4 < 2 else "PK", "age": 20 + k, "InputFile": path})
    pd.DataFrame(rows).to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    nib.save(nib.Nifti1Image(np.ones((3, 3, 2), np.uint8), np.eye(4)), tmp_path / "mask.nii.gz")
    return tmp_path / "t.tsv", tmp_path / "mask.nii.gz"


def test_a_fitted_model_with_a_centred_covariate(tmp_path):
    table, mask = data_table(tmp_path, 8)
    lines = fit_seed_lme(table, FORMULA, [{"column": "age", "type": "quantitative"}], tmp_path / "P", mask, "VS")
    assert lines[0].startswith(f"seed VS: {FORMULA} + age: 16 maps, 8 subjects; voxels {{'fitted': 18")
    assert lines[1] == "  age centred at 23.5 (its mean over the table's rows, as 3dLME)"
    assert json.loads((tmp_path / "P_stats.json").read_text()).get("fitted", True)


def test_a_model_the_data_cannot_estimate_is_written_and_drawn(tmp_path):
    table, mask = data_table(tmp_path, 2)
    lines = fit_seed_lme(table, FORMULA, [], tmp_path / "P", mask, "VS")
    assert len(lines) == 1 and lines[0].startswith("seed VS: model not estimable from 4 maps of 2 subjects: ")
    meta = json.loads((tmp_path / "P_stats.json").read_text())
    assert meta["fitted"] is False
    plot_seed_lme(tmp_path / "P_stats.nii.gz", tmp_path / "P_stats.json", mask, None, "group:treatment",
                  tmp_path / "f.png", "VS")
    assert (tmp_path / "f.png").stat().st_size > 5_000
