"""Covariates in the workflow (rsfmri.group_model.covariates, rsfmri.followup.covariates): 3dLME's
model and -qVars as a dry run plans them, and the parse-time checks."""

import re

from helpers import BIN, ROOT, dry_run, run, write_config

COVARIATES = ("rsfmri:\n  engines:\n    lme: afni\n  group_model:\n"
              "    covariates: [age, {column: sex, type: categorical}]\n  followup:\n    covariates: [age]\n")


def test_covariates_enter_the_3dlme_model_and_clashes_stop_the_workflow(tiny_bids, tmp_path):
    out, counts = dry_run(tiny_bids, tmp_path, COVARIATES)
    commands = re.findall(r"3dLME -prefix .*", out)
    assert commands and len(commands) == int(counts["run_3dlme"])
    for command in commands:  # sex: a factor, in the model and the table only; age centred by 3dLME
        assert re.search(r"-model '?group\*treatment\+order\+age\+sex'? ", command)
        assert " -qVars age -dataTable " in command and "-qVarCenters" not in command
    for extra, message in (("rsfmri:\n  group_model:\n    covariates: [group]\n",
                            "config rsfmri.group_model.covariates: covariate 'group' clashes with a model variable"),
                           ("rsfmri:\n  followup:\n    covariates: [weight]\n",
                            "config rsfmri.followup.covariates: covariate 'weight' is not a column of participants.tsv")):
        write_config(tmp_path, tiny_bids, extra)
        proc = run([BIN / "snakemake", "-s", ROOT / "Snakefile", "-d", tmp_path, "--configfile",
                    tmp_path / "config.yaml", "-n"], check=False)
        assert proc.returncode != 0 and message in proc.stdout + proc.stderr
