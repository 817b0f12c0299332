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
        counts=report(
            deriv(f"rois/{DTI_GRID}_rois.tsv"),
            caption="../report/dti_rois.rst",
            category="DTI group",
            subcategory="ROIs",
        ),
        figure=report(
            deriv(f"figures/{DTI_GRID}_desc-rois_qc.png"),
            caption="../report/dti_rois.rst",
            category="DTI group",
            subcategory="ROIs",
        ),
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
        logs("extract_roi_md", "group"),
    benchmark:
        benchmarks("extract_roi_md", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("extract_roi_md"),
    params:
        rois=list(DTI_ROIS),
        sessions=lambda wildcards: dti_session_keys(),
    script:
        "../scripts/extract_roi_md.py"


rule build_dti_table:
    input:
        roi_md=rules.extract_roi_md.output.table,
        participants=participants_table(),
        scores=rules.collect_scores.output.table,
    output:
        table=report(
            dti_group_file("analysis_table.tsv"),
            caption="../report/dti_analysis_table.rst",
            category="DTI group",
            subcategory="Tables",
        ),
        winsorizing=report(
            dti_group_file("winsorizing.tsv"),
            caption="../report/dti_winsorizing.rst",
            category="DTI group",
            subcategory="Tables",
        ),
        exclusions=report(
            dti_group_file("exclusions.tsv"),
            caption="../report/dti_exclusions.rst",
            category="DTI group",
            subcategory="Tables",
        ),
    log:
        logs("build_dti_table", "group"),
    benchmark:
        benchmarks("build_dti_table", "group")
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
        ttests=report(
            dti_group_file("ttests.tsv"),
            caption="../report/dti_ttests.rst",
            category="DTI group",
            subcategory="Tables",
        ),
    log:
        logs("test_dti_groups", "group"),
    benchmark:
        benchmarks("test_dti_groups", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("test_dti_groups"),
    params:
        outcomes=DTI_OUTCOMES,
        groups=DTI["groups"],
    script:
        "../scripts/test_dti_groups.py"


rule fit_dti_models:
    input:
        table=rules.build_dti_table.output.table,
    output:
        main=report(
            dti_group_file("ols_main.tsv"),
            caption="../report/dti_ols.rst",
            category="DTI group",
            subcategory="Tables",
        ),
        sensitivity=report(
            dti_group_file("ols_sensitivity.tsv"),
            caption="../report/dti_ols.rst",
            category="DTI group",
            subcategory="Tables",
        ),
        table2=report(
            dti_group_file("table2.tsv"),
            caption="../report/dti_table2.rst",
            category="DTI group",
            subcategory="Table 2",
        ),
        table2_html=report(
            dti_group_file("table2.html"),
            caption="../report/dti_table2.rst",
            category="DTI group",
            subcategory="Table 2",
        ),
        correlations=report(
            dti_group_file("correlations.tsv"),
            caption="../report/dti_correlations.rst",
            category="DTI group",
            subcategory="Tables",
        ),
        main_json=dti_group_file("ols_main.json"),
        sensitivity_json=dti_group_file("ols_sensitivity.json"),
        table2_json=dti_group_file("table2.json"),
    log:
        logs("fit_dti_models", "group"),
    benchmark:
        benchmarks("fit_dti_models", "group")
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


rule plot_dti_scatter:
    input:
        table=rules.build_dti_table.output.table,
    output:
        png=report(
            deriv("figures/dti/roi-{roi}_outcome-{outcome}_scatter.png"),
            caption="../report/dti_scatter.rst",
            category="DTI group",
            subcategory="Figures 1-2",
        ),
        svg=deriv("figures/dti/roi-{roi}_outcome-{outcome}_scatter.svg"),
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
