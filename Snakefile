# trialmri: drug-trial MRI from BIDS to statistics. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/inputs.smk"
include: "rules/dwi_corrections.smk"
include: "rules/dti.smk"
include: "rules/dti_group.smk"
include: "rules/rsfmri.smk"
include: "rules/rsfmri_group.smk"
include: "rules/rsfmri_clusters.smk"
include: "rules/rsfmri_followup.smk"
include: "rules/report.smk"


onstart:
    refuse_quotes_on_slurm()


rule all:
    input:
        all_targets,
