# DTI arm, group level (study 003): ROI masks -> ROI mean MD -> ΔMD table -> t-tests, OLS with
# sensitivity models, Table 2, correlations -> Figures 1-2.


rule make_dti_rois:
    input:
        reference=dti_reference_map,
        template=rules.write_template.output.t1w,
    output:
        masks=expand(
            deriv(f"rois/{DTI_GRID}_desc-{{roi}}_mask.nii.gz"), roi=list(DTI_ROIS)
        ),
        counts=dti_roi_report(deriv(f"rois/{DTI_GRID}_rois.tsv")),
        figure=dti_roi_report(deriv(f"figures/{DTI_GRID}_desc-rois_qc.png")),
    log:
        logs("make_dti_rois", DTI_GRID),
    benchmark:
        benchmarks("make_dti_rois", DTI_GRID)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("make_dti_rois"),
    params:
        rois=DTI_ROIS,
    script:
        "../scripts/make_dti_rois.py"


rule extract_roi_md:
    input:
        masks=rules.make_dti_rois.output.masks,
        maps=lambda wildcards: dti_session_targets(rules.warp_dti_to_template.output.md),
    output:
        table=dti_group_file("roi_md.tsv"),
    log:
        logs("extract_roi_md", GROUP_JOB),
    benchmark:
        benchmarks("extract_roi_md", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("extract_roi_md"),
    params:
        rois=list(DTI_ROIS),
        sessions=lambda wildcards: dti_session_keys(),
    script:
        "../scripts/extract_roi_md.py"


# long rule: the analysis table takes seven settings (subjects, sessions, groups, columns, statistics)
rule build_dti_table:
    input:
        roi_md=rules.extract_roi_md.output.table,
        participants=participants_table(),
        scores=rules.collect_scores.output.table,
    output:
        table=dti_group_report("analysis_table.tsv", "dti_analysis_table.rst"),
        winsorizing=dti_group_report("winsorizing.tsv", "dti_winsorizing.rst"),
        exclusions=dti_group_report("exclusions.tsv", "dti_exclusions.rst"),
    log:
        logs("build_dti_table", GROUP_JOB),
    benchmark:
        benchmarks("build_dti_table", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("build_dti_table"),
    params:
        subjects=INVENTORY.dti_subjects,
        pre=DTI_PRE,
        post=DTI_POST,
        groups=DTI["groups"],
        group_column=DTI_GROUP_COLUMN,
        phenotype=config["phenotype"],
        statistics=DTI_STATS,
    script:
        "../scripts/build_dti_table.py"


rule test_dti_groups:
    input:
        table=rules.build_dti_table.output.table,
    output:
        ttests=dti_group_report("ttests.tsv", "dti_ttests.rst"),
    log:
        logs("test_dti_groups", GROUP_JOB),
    benchmark:
        benchmarks("test_dti_groups", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("test_dti_groups"),
    params:
        outcomes=DTI_OUTCOMES,
        groups=DTI["groups"],
    script:
        "../scripts/test_dti_groups.py"


# long rule: eight outputs (five tables in the report, three JSON sidecars) and three settings
rule fit_dti_models:
    input:
        table=rules.build_dti_table.output.table,
    output:
        main=dti_group_report("ols_main.tsv", "dti_ols.rst"),
        sensitivity=dti_group_report("ols_sensitivity.tsv", "dti_ols.rst"),
        table2=dti_group_report("table2.tsv", "dti_table2.rst", "Table 2"),
        table2_html=dti_group_report("table2.html", "dti_table2.rst", "Table 2"),
        correlations=dti_group_report("correlations.tsv", "dti_correlations.rst"),
        main_json=dti_group_file("ols_main.json"),
        sensitivity_json=dti_group_file("ols_sensitivity.json"),
        table2_json=dti_group_file("table2.json"),
    log:
        logs("fit_dti_models", GROUP_JOB),
    benchmark:
        benchmarks("fit_dti_models", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("fit_dti_models"),
    params:
        statistics=DTI_STATS,
        rois=DTI_ROIS,
        groups=DTI["groups"],
    script:
        "../scripts/fit_dti_models.py"


DTI_SCATTER = deriv("figures/dti/roi-{roi}_outcome-{outcome}_scatter")  # .png, .svg


rule plot_dti_scatter:
    input:
        table=rules.build_dti_table.output.table,
    output:
        png=in_report(
            f"{DTI_SCATTER}.png", "dti_scatter.rst", "DTI group", "Figures 1-2"
        ),
        svg=f"{DTI_SCATTER}.svg",
    log:
        logs("plot_dti_scatter", "roi-{roi}_outcome-{outcome}"),
    benchmark:
        benchmarks("plot_dti_scatter", "roi-{roi}_outcome-{outcome}")
    wildcard_constraints:
        roi="[A-Za-z0-9]+",
        outcome="[A-Za-z0-9_]+",
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_dti_scatter"),
    params:
        statistics=DTI_STATS,
        rois=DTI_ROIS,
        groups=DTI["groups"],
    script:
        "../scripts/plot_dti_scatter.py"
