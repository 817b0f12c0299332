# rsfMRI arm, ROI follow-ups (study 000 ran them in SPSS): seed-to-control-ROI (V1) and cluster
# connectivity per session, CRP and symptoms; ROI mixed models with Type III F and Satterthwaite
# df (trialmri roi-lme's engine); Δ = active - placebo session with Pearson r per group and
# Fisher's r-to-z; paired t-tests of active vs placebo per group at each cluster (study Table S5);
# study Figures 1-4. Variables, time points and transforms: rsfmri.followup.

FOLLOWUP = {
    "control_fc": rs_group_file("desc-controlroi_fc.tsv"),
    "cluster_fc": rs_group_file("desc-clusters_fc.tsv"),
    "clinical": rs_group_file("desc-clinical_sessions.tsv"),
    "changes": rs_group_file("desc-clusters_changes.tsv"),
}
RS_FOLLOWUP_PARAMS = {
    "patient": RS["groups"]["patient"],
    "control": RS["groups"]["control"],
    "active": RS["sessions"]["active"],
    "placebo": RS["sessions"]["placebo"],
    "crp": RS_FOLLOWUP["crp"],
    "symptoms": RS_FOLLOWUP["symptoms"],
    "symptom_groups": [RS["groups"][g] for g in RS_FOLLOWUP["symptom_groups"]],
}


rule control_fc:
    input:
        sessions=rules.rs_group_sessions.output.sessions,
        mask=rules.rs_group_sessions.output.mask,
        labels=rules.make_seed_rois.output.labels,
        table=rules.make_seed_rois.output.table,
        maps=rs_all_seed_maps,
    output:
        table=FOLLOWUP["control_fc"],
    log:
        logs("control_fc", GROUP_JOB),
    benchmark:
        benchmarks("control_fc", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("control_fc"),
    params:
        seeds=RS_SEED_NAMES,
        controls=list(RS_SEEDS["control"]),
    script:
        "../scripts/control_fc.py"


rule cluster_fc:
    input:
        sessions=rules.rs_group_sessions.output.sessions,
        dsegs=expand(CLUSTERS["dseg"], seed=RS_SEED_NAMES),
        tables=expand(CLUSTERS["table"], seed=RS_SEED_NAMES),
        maps=rules.control_fc.input.maps,
    output:
        table=FOLLOWUP["cluster_fc"],
    log:
        logs("cluster_fc", GROUP_JOB),
    benchmark:
        benchmarks("cluster_fc", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("cluster_fc"),
    params:
        seeds=RS_SEED_NAMES,
        atlases=RS_CLUSTERS["atlases"],
    script:
        "../scripts/cluster_fc.py"


rule clinical_sessions:
    input:
        participants=participants_table(),
        scores=rules.collect_scores.output.table,
    output:
        table=FOLLOWUP["clinical"],
    log:
        logs("clinical_sessions", GROUP_JOB),
    benchmark:
        benchmarks("clinical_sessions", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("clinical_sessions"),
    params:
        columns=RS_COLUMNS,
        sessions=[RS["sessions"]["active"], RS["sessions"]["placebo"]],
        groups=RS_GROUPS,
        crp=RS_FOLLOWUP["crp"],
        symptoms=RS_FOLLOWUP["symptoms"],
    script:
        "../scripts/clinical_sessions.py"


rule control_lme:
    input:
        table=rules.control_fc.output.table,
        participants=participants_table(),
    output:
        **followup_lme_outputs(
            "controlroi", "seed to control ROI", "rs_control_lme.rst"
        ),
    log:
        logs("control_lme", GROUP_JOB),
    benchmark:
        benchmarks("control_lme", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("control_lme"),
    params:
        response="z",
        formula=RS_FOLLOWUP["formula"],
        covariates=RS_FOLLOWUP_COVARIATES,
        by=["seed", "roi"],
    script:
        "../scripts/followup_lme.py"


rule crp_lme:
    input:
        table=rules.clinical_sessions.output.table,
        participants=participants_table(),
    output:
        **followup_lme_outputs("crp", "CRP", "rs_crp_lme.rst"),
    log:
        logs("crp_lme", GROUP_JOB),
    benchmark:
        benchmarks("crp_lme", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("crp_lme"),
    params:
        response=transformed_name(
            RS_FOLLOWUP["crp"]["score"], RS_FOLLOWUP["crp"]["transform"]
        ),
        formula=RS_FOLLOWUP["formula"],
        covariates=RS_FOLLOWUP_COVARIATES,
        by=[],
    script:
        "../scripts/followup_lme.py"


# ΔFC per cluster with ΔCRP and Δ symptoms, and the correlations, in the report
CORRELATION_TABLES = {
    "changes": followup_report(
        FOLLOWUP["changes"],
        "rs_changes.rst",
        "changes",
        table="delta FC, CRP, symptoms",
    ),
    "crp": followup_report(
        rs_group_file("desc-crp_correlations.tsv"),
        "rs_crp_correlations.rst",
        "CRP",
        table="delta CRP vs delta FC",
    ),
    "fisher": followup_report(
        rs_group_file("desc-crp_fisherz.tsv"),
        "rs_crp_fisherz.rst",
        "CRP",
        table="Fisher r-to-z",
    ),
    "symptoms": followup_report(
        rs_group_file("desc-symptoms_correlations.tsv"),
        "rs_symptom_correlations.rst",
        "symptoms",
        table="delta symptoms vs delta FC",
    ),
}


rule followup_correlations:
    input:
        cluster_fc=rules.cluster_fc.output.table,
        clinical=rules.clinical_sessions.output.table,
    output:
        **CORRELATION_TABLES,
    log:
        logs("followup_correlations", GROUP_JOB),
    benchmark:
        benchmarks("followup_correlations", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("followup_correlations"),
    params:
        **RS_FOLLOWUP_PARAMS,
    script:
        "../scripts/followup_correlations.py"


rule cluster_posthoc:
    input:
        cluster_fc=rules.cluster_fc.output.table,
        summary=rules.cluster_summary.output.summary,
    output:
        table=followup_report(
            rs_group_file("desc-clusters_posthoc.tsv"),
            "rs_cluster_posthoc.rst",
            "clusters",
            table="active vs placebo per group",
        ),
        sidecar=rs_group_file("desc-clusters_posthoc.json"),
    log:
        logs("cluster_posthoc", GROUP_JOB),
    benchmark:
        benchmarks("cluster_posthoc", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("cluster_posthoc"),
    params:
        **RS_FOLLOWUP_PARAMS,
        term=RS_GROUP["term"],
    script:
        "../scripts/cluster_posthoc.py"


# study 000's Figures 1-4, PNG (in the report) and SVG
FOLLOWUP_FIGURES = {
    **followup_figure(
        "clusters", "clusters_boxplot", "clusters", "rs_figure_clusters.rst"
    ),
    **followup_figure(
        "control",
        "controlroi_boxplot",
        "seed to control ROI",
        "rs_figure_control.rst",
    ),
    **followup_figure("crp", "crp_scatter", "CRP", "rs_figure_crp.rst"),
    **followup_figure(
        "symptoms", "symptoms_scatter", "symptoms", "rs_figure_symptoms.rst"
    ),
}


rule plot_followup:
    input:
        control_fc=rules.control_fc.output.table,
        control_lme=rules.control_lme.output.anova,
        cluster_fc=rules.cluster_fc.output.table,
        changes=rules.followup_correlations.output.changes,
        fisher=rules.followup_correlations.output.fisher,
    output:
        **FOLLOWUP_FIGURES,
    log:
        logs("plot_followup", GROUP_JOB),
    benchmark:
        benchmarks("plot_followup", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_followup"),
    params:
        **RS_FOLLOWUP_PARAMS,
        term=RS_GROUP["term"],
        figure_symptoms=RS_FOLLOWUP["figure_symptoms"],
    script:
        "../scripts/plot_followup.py"
