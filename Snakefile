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


rule all:
    input:
        rules.write_dataset_description.output.description,
        rules.collect_input_qc.output.qc,
        rules.collect_input_qc.output.exclusions,
        rules.collect_input_qc.output.inventory,
        rules.provenance.output.page,
        dti_session_targets(rules.warp_dti_to_template.output.md),
        dti_session_targets(rules.plot_dti_qc.output.overlay),
        dti_session_targets(rules.plot_dti_qc.output.histogram),
        dwi_correction_targets(),
        dti_group_targets(
            rules.make_dti_rois.output.counts,
            rules.make_dti_rois.output.figure,
            rules.test_dti_groups.output.ttests,
            rules.fit_dti_models.output.table2,
            rules.fit_dti_models.output.table2_html,
            rules.fit_dti_models.output.sensitivity,
            rules.plot_dti_scatter.output.png,
            rules.plot_dti_scatter.output.svg,
        ),
        rs_subject_targets(),
        rs_group_targets(
            *LME_OUTPUTS.values(),
            rules.lme_table.output.afni_table,
            rules.plot_group_lme.output.figure,
            *CLUSTSIM_OUTPUTS,
            *rules.clusters.output,
            rules.plot_clusters.output.figure,
            rules.cluster_summary.output.summary,
            *rules.control_lme.output,
            *rules.crp_lme.output,
            *rules.followup_correlations.output,
            *rules.plot_followup.output,
        ),
