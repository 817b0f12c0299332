"""Covariates of the LME models: their types and checks (trialmri.lme.covariates), centring and
coding in the design, the sessions and data tables that carry them, 3dLME's options, and the
``trialmri lme`` / ``trialmri roi-lme`` options."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.cli import main
from trialmri.fc.group_sessions import group_sessions, seed_table
from trialmri.lme import afni_commands as AFNI_LME, afni_outputs as AFNI_LME_OUT
from trialmri.lme.covariates import (Covariate, add_covariates, dropped_message, quantitative_names,
                                     resolve_covariates, with_covariates)
from trialmri.stats.formula import build_design, design_rows

# unbalanced on purpose: s3 has one row, so the mean over rows (3dLME's centre) differs from the
# mean over subjects
TABLE = pd.DataFrame({"subject": ["s1", "s1", "s2", "s2", "s3", "s4", "s4", "s5", "s5"],
                      "group": ["HV", "HV", "TRD", "TRD", "HV", "TRD", "TRD", "HV", "HV"],
                      "treatment": ["ketamine", "placebo"] * 2 + ["ketamine"] + ["ketamine", "placebo"] * 2,
                      "age": ["30", "30", "52", "52", "61", "44", "44", "25", "25"],
                      "race": ["white", "white", "black", "black", "asian", "white", "white", "asian", "asian"]})
PEOPLE = pd.DataFrame({"participant_id": ["sub-s1", "sub-s2", "sub-s3", "sub-s4", "sub-s5"],
                       "age": ["30", "52", "61", None, "25"], "race": ["white", "black", "asian", "white", "asian"],
                       "site": ["1", "2", "1", "2", "1"]})


def test_quantitative_covariate_centred_at_its_mean_over_rows_and_categorical_coded_sum_to_zero():
    design = build_design(TABLE, "group*treatment + age + race", quantitative=["age"], centers={"age": None})
    row_mean = np.mean([30, 30, 52, 52, 61, 44, 44, 25, 25])  # 40.33, over subjects it would be 42.4
    assert design.centers == {"age": pytest.approx(row_mean)}
    assert design.columns == ["(Intercept)", "group1", "treatment1", "age", "race1", "race2", "group1:treatment1"]
    age = design.X[:, design.columns.index("age")]
    np.testing.assert_allclose(age, TABLE.age.astype(float) - row_mean)
    assert design.levels["race"] == ["asian", "black", "white"]
    race = design.X[:, design.term_columns("race")]
    coding = {"asian": [1, 0], "black": [0, 1], "white": [-1, -1]}  # contr.sum, last level -1
    assert race.tolist() == [coding[r] for r in TABLE.race]
    # new rows (a reference grid) get the fitted centre; an explicit centre is used as given
    grid = pd.DataFrame({"group": ["HV"], "treatment": ["placebo"], "age": [row_mean], "race": ["black"]})
    assert design_rows(design, grid)[0, design.columns.index("age")] == pytest.approx(0)
    given = build_design(TABLE, "group + age", quantitative=["age"], centers={"age": 40})
    assert given.X[0, 2] == -10 and given.centers == {"age": 40.0}
    assert build_design(TABLE, "group + age", quantitative=["age"]).X[0, 2] == 30  # no centre: as given
    with pytest.raises(ValueError, match="not a quantitative variable"):
        build_design(TABLE, "group + age", quantitative=["age"], centers={"group": None})


def test_covariate_types_and_config_errors():
    covs = resolve_covariates(["age", "race", {"column": "site", "type": "categorical"}], PEOPLE, "where")
    assert covs == [Covariate("age", "quantitative"), Covariate("race", "categorical"),
                    Covariate("site", "categorical")]
    assert with_covariates("group*treatment + order", covs) == "group*treatment + order + age + race + site"
    assert quantitative_names(covs) == ["age"] and quantitative_names([vars(c) for c in covs]) == ["age"]
    assert resolve_covariates(["site"], PEOPLE, "w") == [Covariate("site", "quantitative")]  # all numbers
    assert resolve_covariates(["bmi"], None, "w") == [Covariate("bmi", "quantitative")]  # linting: no table
    for spec, message in ((["group"], "clashes with a model variable"), (["order"], "clashes"),
                          (["subject"], "clashes"), (["weight"], r"'weight' is not a column of participants.tsv "
                                                                  r"\(columns: participant_id, age, race, site\)"),
                          ([{"column": "race", "type": "quantitative"}], "has the value 'white'"),
                          (["age", "age"], "listed twice"), (["age (y)"], "not a column name")):
        with pytest.raises(ValueError, match=message):
            resolve_covariates(spec, PEOPLE, "rsfmri.group_model.covariates")


def test_rows_without_a_covariate_value_leave_the_model_counted():
    table, dropped = add_covariates(TABLE.drop(columns=["age", "race"]), PEOPLE,
                                    resolve_covariates(["age", "race"], PEOPLE, "w"))
    assert dropped == {"age": 2, "race": 0} and "s4" not in set(table.subject) and len(table) == 7
    assert table.age.dtype.kind == "f" and table.race.tolist()[:2] == ["white", "white"]
    assert dropped_message(dropped, table) == ("2 rows left out for a covariate missing in participants.tsv "
                                               "(age 2); 7 remain")
    assert dropped_message({"age": 0}, table) is None
    with pytest.raises(ValueError, match="already a column"):
        add_covariates(TABLE, PEOPLE, [Covariate("age", "quantitative")])


def test_sessions_and_seed_tables_carry_the_covariates(tmp_path):
    keys = [("s1", "ketamine"), ("s1", "placebo"), ("s4", "ketamine"), ("s5", "ketamine")]
    sidecars = []
    for i, _ in enumerate(keys):
        sidecars.append(tmp_path / f"{i}.json")
        sidecars[-1].write_text(json.dumps({}))
    people = PEOPLE.assign(group=["HV", "TRD", "HV", "TRD", "HV"], order=["KP"] * 5)
    covs = [{"column": "age", "type": "quantitative"}, {"column": "race", "type": "categorical"}]
    sessions = group_sessions(keys, sidecars, people, {"group": "group", "order": "order"}, ["HV", "TRD"],
                              ["group", "treatment", "order"], covs)
    assert list(sessions.columns) == ["subject", "session", "group", "treatment", "order", "age", "race", "used",
                                      "reason"]
    assert sessions.used.tolist() == [True, True, False, True]
    assert sessions.reason[2] == "covariate 'age' missing in participants.tsv"
    maps = {k: tmp_path / f"{k[0]}_{k[1]}.nii.gz" for k in keys}
    table = seed_table(sessions, maps, ["group", "treatment"])
    assert list(table.columns) == ["subject", "group", "treatment", "age", "race", "InputFile"]
    text = AFNI_LME_OUT.afni_data_table(table.assign(InputFile=["a.nii", "b.nii", "c.nii"]), "subject",
                                    ["group", "treatment"], qvars=["age"])
    assert text.splitlines()[:2] == ["Subj\tgroup\ttreatment\tage\trace\tInputFile",
                                     "s1\tHV\tketamine\t30.0\twhite\ta.nii"]


def test_3dlme_command_with_covariates():
    argv = AFNI_LME.lme_argv("P", "T", "group*treatment + order + age + race", "M", "R", qvars=["age"],
                             qvar_centers=[40.3333333333])
    cmd = " ".join(argv)
    assert "-model group*treatment+order+age+race " in cmd
    assert "-qVars age -qVarCenters 40.3333333333 -dataTable @T" in cmd  # race: model and table only
    words = shlex.split(AFNI_LME.lme_command("P", "T", "g+age+bmi", "M", "R", qvars=["age", "bmi"]))
    assert words[words.index("-qVars") + 1] == "age,bmi" and "-qVarCenters" not in words  # 3dLME's mean
    with pytest.raises(ValueError, match="one centre per -qVars variable"):
        AFNI_LME.lme_argv("P", "T", "g+age", "M", "R", qvars=["age"], qvar_centers=[1, 2])


def _maps_table(tmp_path, rng) -> Path:
    paths = []
    for i in range(len(TABLE)):
        nib.save(nib.Nifti1Image(rng.normal(size=(2, 2, 1)).astype(np.float32), np.eye(4)), tmp_path / f"m{i}.nii.gz")
        paths.append(f"m{i}.nii.gz")
    TABLE.assign(InputFile=paths).to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    return tmp_path / "t.tsv"


def test_lme_program_covariate_options(tmp_path, capsys):
    table = _maps_table(tmp_path, np.random.default_rng(1))
    base = ["lme", "--table", str(table), "--formula", "group + treatment + age", "--out-prefix", str(tmp_path / "P")]
    assert main([*base, "--qvars", "agee"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--qvars names 'agee', not a column of the data table" in err
    assert "(columns: subject, group, treatment, age, race, InputFile)" in err
    assert main([*base, "--qvars", "age", "--qvar-centers", "40,41"]) == 2
    assert "--qvar-centers gives 2 centre(s) for 1 --qvars variable(s)" in capsys.readouterr().err
    assert main([*base, "--qvars", "age", "--qvar-centers", "forty"]) == 2
    assert "--qvar-centers 'forty': give numbers" in capsys.readouterr().err
    assert main([*base, "--qvars", "age"]) == 0
    default = json.loads((tmp_path / "P_stats.json").read_text())
    assert default["qvar_centers"] == {"age": pytest.approx(40.3333333)}
    assert "age at 40.3333" in capsys.readouterr().out
    stats = nib.load(tmp_path / "P_stats.nii.gz").get_fdata()
    assert main([*base, "--qvars", "age", "--qvar-centers", "40.333333333333336"]) == 0
    np.testing.assert_allclose(nib.load(tmp_path / "P_stats.nii.gz").get_fdata(), stats, rtol=1e-6)
    assert main([*base, "--qvars", "age", "--qvar-centers", "0"]) == 0  # the centre moves the intercept only
    zero = nib.load(tmp_path / "P_stats.nii.gz").get_fdata()
    f_vols = [i for i, v in enumerate(default["volumes"]) if v.get("stat") == "F"]
    np.testing.assert_allclose(zero[..., f_vols[1:]], stats[..., f_vols[1:]], rtol=1e-5)
    assert not np.allclose(zero[..., f_vols[0]], stats[..., f_vols[0]])


def test_roi_lme_program_takes_covariates_in_its_formula(tmp_path, capsys):
    rng = np.random.default_rng(2)
    table = TABLE.assign(y=rng.normal(size=len(TABLE)).round(4))
    table.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    base = ["roi-lme", "--table", str(tmp_path / "t.tsv"), "--formula", "y ~ group + age"]
    assert main([*base, "--out", str(tmp_path / "raw.tsv")]) == 0
    assert main([*base, "--center", "age", "--out", str(tmp_path / "c.tsv")]) == 0
    raw, centred = (pd.read_csv(tmp_path / f, sep="\t") for f in ("raw.tsv", "c.tsv"))
    assert list(raw.term) == ["group", "age"]
    np.testing.assert_allclose(raw.F, centred.F, rtol=1e-6)
    info = json.loads((tmp_path / "c.json").read_text())
    assert info["centers"] == {"age": pytest.approx(40.3333333)}
    assert main([*base, "--center", "group", "--out", str(tmp_path / "x.tsv")]) == 2
    assert "not a quantitative variable" in capsys.readouterr().err
