"""Snakemake glue: OLS per ROI x outcome with sensitivity models, Table 2 and correlations."""

from trialmri.dwi.dti_model_files import MODEL_FILES, write_dti_models
from trialmri.tables import read_tsv
from trialmri.runlog import log_to
from trialmri.dwi.dti_tests import MAIN_MODEL

with log_to(snakemake.log[0]):
    p = snakemake.params
    rows = write_dti_models(read_tsv(snakemake.input.table), p.statistics, p.rois, p.groups,
                            {key: snakemake.output[key] for key in MODEL_FILES})
    print(rows[rows["model"] == MAIN_MODEL][["roi", "outcome", "beta", "t", "df", "p"]].to_string(index=False))
