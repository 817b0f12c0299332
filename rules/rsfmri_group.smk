# rsfMRI arm, group level (study 000): per seed, a voxelwise mixed model (3dLME) of the subject
# Fisher-z maps: random intercept per subject, group x treatment (+ order), marginal F per term.
# The lme engine comes from config rsfmri.engines.lme; both variants give the same files.

RS_GROUPS = [RS["groups"]["patient"], RS["groups"]["control"]]
# participants.tsv columns of the group and the infusion order
RS_COLUMNS = {
    "group": RS_GROUP_COLUMN,
    "order": config["phenotype"]["participants"]["infusion_order"],
}

LME_SESSIONS = rs_group_report(
    "desc-lme_sessions.tsv", "rs_group_sessions.rst", "sessions in the model"
)


rule rs_group_sessions:
    input:
        sidecars=lambda wildcards: rs_session_targets(rules.seed_maps.output.sidecar),
        masks=lambda wildcards: rs_session_targets(rules.denoise_bold.output.mask),
        participants=participants_table(),
    output:
        sessions=LME_SESSIONS,
        mask=rs_group_file(f"{RS_GRID}_desc-group_mask.nii.gz"),
    log:
        logs("rs_group_sessions", GROUP_JOB),
    benchmark:
        benchmarks("rs_group_sessions", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("rs_group_sessions"),
    params:
        session_keys=lambda wildcards: rs_session_keys(),
        columns=RS_COLUMNS,
        groups=RS_GROUPS,
        needed=sorted({v for used in RS_VARIABLES.values() for v in used}),
        covariates=RS_GROUP_COVARIATES,
    script:
        "../scripts/rs_group_sessions.py"


rule lme_table:
    input:
        sessions=rules.rs_group_sessions.output.sessions,
        maps=rs_seed_maps,
    output:
        table=rs_group_file("roi-{seed}_desc-lme_table.tsv"),
        afni_table=rs_group_file("roi-{seed}_desc-lme_afnitable.txt"),
    log:
        logs("lme_table", SEED_JOB),
    benchmark:
        benchmarks("lme_table", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("lme_table"),
    params:
        session_keys=lambda wildcards: rs_session_keys(),
        variables=lambda wildcards: RS_VARIABLES[wildcards.seed],
        qvars=quantitative_names(RS_GROUP_COVARIATES),
    script:
        "../scripts/lme_table.py"


LME_OUTPUTS = {
    "stats": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_stats.nii.gz"),
    "sidecar": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_stats.json"),
    "resid": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_resid.nii.gz"),
    "fitmask": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_fitmask.nii.gz"),
}


if RS_ENGINES["lme"] == "native":

    rule group_lme:
        input:
            table=rules.lme_table.output.table,
            mask=rules.rs_group_sessions.output.mask,
        output:
            **LME_OUTPUTS,
        log:
            logs("group_lme", SEED_JOB),
        benchmark:
            benchmarks("group_lme", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("group_lme"),
        params:
            formula=lambda wildcards: RS_FORMULAS[wildcards.seed],
            covariates=RS_GROUP_COVARIATES,
            prefix=lambda wildcards, output: output.stats.removesuffix("_stats.nii.gz"),
        script:
            "../scripts/group_lme.py"

else:

    # 3dLME's words: the model, absolute paths of its outputs and mask, the data table's folder and
    # name; it runs in the data table's folder (the table lists each map relative to that folder)
    RUN_3DLME_PARAMS = {
        "model": lambda wildcards: with_covariates(
            RS_FORMULAS[wildcards.seed], RS_GROUP_COVARIATES
        ).replace(" ", ""),
        "stats": lambda wildcards, output: os.path.abspath(f"{output.work}/lme.nii.gz"),
        "resid": lambda wildcards, output: os.path.abspath(
            f"{output.work}/resid.nii.gz"
        ),
        "mask": lambda wildcards, input: os.path.abspath(input.mask),
        "table_dir": lambda wildcards, input: os.path.dirname(
            os.path.abspath(input.table)
        ),
        "table_name": lambda wildcards, input: os.path.basename(input.table),
    }
    AFNI_3DLME = (
        "mkdir -p {output.work:q} && (cd {params.table_dir:q} && "
        + AFNI_LME.lme_command(
            "{params.stats}",
            "{params.table_name}",
            "{params.model}",
            "{params.mask}",
            "{params.resid}",
            jobs="{threads}",
            qvars=quantitative_names(RS_GROUP_COVARIATES),
        )
        + ") > {log:q} 2>&1"
    )

    rule run_3dlme:
        input:
            table=rules.lme_table.output.afni_table,
            mask=rules.rs_group_sessions.output.mask,
            maps=rs_seed_maps,
        output:
            work=temp(directory(deriv("work/3dlme/roi-{seed}"))),
        log:
            logs("run_3dlme", SEED_JOB),
        benchmark:
            benchmarks("run_3dlme", SEED_JOB)
        container:
            config["containers"]["afni"]
        threads: RS_GROUP["jobs"]
        resources:
            **rule_resources("run_3dlme"),
        params:
            **RUN_3DLME_PARAMS,
        shell:
            AFNI_3DLME

    rule group_lme:
        input:
            work=rules.run_3dlme.output.work,
            mask=rules.rs_group_sessions.output.mask,
            table=rules.lme_table.output.afni_table,
            afni_version=AFNI_VERSION,
        output:
            **LME_OUTPUTS,
        log:
            logs("group_lme", SEED_JOB),
        benchmark:
            benchmarks("group_lme", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("group_lme_afni"),
        params:
            prefix=lambda wildcards, output: output.stats.removesuffix("_stats.nii.gz"),
            container=config["containers"]["afni"],
            model=lambda wildcards: with_covariates(
                RS_FORMULAS[wildcards.seed], RS_GROUP_COVARIATES
            ),
            qvars=quantitative_names(RS_GROUP_COVARIATES),
        script:
            "../scripts/convert_afni_lme.py"


LME_FIGURE = rs_group_report(
    f"figures/{RS_GRID}_roi-{{seed}}_desc-lme_stats.png",
    "rs_group_lme.rst",
    "voxelwise LME",
    seed="{seed}",
    figure="LME",
)


rule plot_group_lme:
    input:
        stats=LME_OUTPUTS["stats"],
        sidecar=LME_OUTPUTS["sidecar"],
        mask=rules.rs_group_sessions.output.mask,
        template=rules.write_template.output.t1w,
    output:
        figure=LME_FIGURE,
    log:
        logs("plot_group_lme", SEED_JOB),
    benchmark:
        benchmarks("plot_group_lme", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_group_lme"),
    params:
        term=RS_GROUP["term"],
    script:
        "../scripts/plot_group_lme.py"
