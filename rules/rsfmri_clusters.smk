# rsfMRI arm, cluster-level FWE (study 000): per seed, the smoothness of the LME residuals
# (3dFWHMx -acf), the Monte Carlo cluster-size table (3dClustSim -acf), and the clusters of the
# term of interest at p < pthr with at least the simulated size: label map, table with MNI peaks
# and atlas labels, figure; every term's clusters in one table per seed (study Table S4). Engines
# from config rsfmri.engines.fwhmx / .clustsim; both variants write the same files.

CLUSTERS = {
    "fit_mask": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lmefit_mask.nii.gz"),
    "acf": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_acf.json"),
    "acf_words": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-lme_acf.txt"),
    "clustsim": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-clustsim"),
    "dseg": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-clusters_dseg.nii.gz"),
    "table": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-clusters.tsv"),
    "sidecar": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-clusters.json"),
    "term_table": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-termclusters.tsv"),
    "term_sidecar": rs_group_file(f"{RS_GRID}_roi-{{seed}}_desc-termclusters.json"),
    "figure": rs_group_file(f"figures/{RS_GRID}_roi-{{seed}}_desc-clusters.png"),
}
CLUSTSIM_OUTPUTS = [
    CLUSTERS["clustsim"] + suffix for suffix in (".json", *AFNI_CLUSTERS.TABLE_SUFFIXES)
]


rule lme_fit_mask:
    input:
        fitmask=LME_OUTPUTS["fitmask"],
    output:
        mask=CLUSTERS["fit_mask"],
    log:
        logs("lme_fit_mask", SEED_JOB),
    benchmark:
        benchmarks("lme_fit_mask", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("lme_fit_mask"),
    script:
        "../scripts/lme_fit_mask.py"


if RS_ENGINES["fwhmx"] == "native":

    rule fwhmx:
        input:
            resid=LME_OUTPUTS["resid"],
            mask=rules.lme_fit_mask.output.mask,
        output:
            acf=CLUSTERS["acf"],
            words=CLUSTERS["acf_words"],
        log:
            logs("fwhmx", SEED_JOB),
        benchmark:
            benchmarks("fwhmx", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("fwhmx"),
        script:
            "../scripts/fwhmx.py"

else:

    rule run_3dfwhmx:
        input:
            resid=LME_OUTPUTS["resid"],
            mask=rules.lme_fit_mask.output.mask,
        output:
            stdout=temp(deriv("work/3dfwhmx/roi-{seed}_fwhmx.txt")),
            acf_1d=temp(deriv("work/3dfwhmx/roi-{seed}_acf.1D")),
        log:
            logs("run_3dfwhmx", SEED_JOB),
        benchmark:
            benchmarks("run_3dfwhmx", SEED_JOB)
        container:
            config["containers"]["afni"]
        resources:
            **rule_resources("run_3dfwhmx"),
        shell:
            AFNI_CLUSTERS.fwhmx_command(
                "{input.resid:q}",
                "{input.mask:q}",
                "{output.acf_1d:q}",
                "{output.stdout:q}",
            )
            + " 2> {log:q}"

    rule fwhmx:
        input:
            stdout=rules.run_3dfwhmx.output.stdout,
            afni_version=AFNI_VERSION,
        output:
            acf=CLUSTERS["acf"],
            words=CLUSTERS["acf_words"],
        log:
            logs("fwhmx", SEED_JOB),
        benchmark:
            benchmarks("fwhmx", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("fwhmx_afni"),
        params:
            container=config["containers"]["afni"],
        script:
            "../scripts/convert_3dfwhmx.py"


if RS_ENGINES["clustsim"] == "native":

    rule clustsim:
        input:
            mask=rules.lme_fit_mask.output.mask,
            acf=CLUSTERS["acf"],
        output:
            CLUSTSIM_OUTPUTS,
        log:
            logs("clustsim", SEED_JOB),
        benchmark:
            benchmarks("clustsim", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        threads: RS_CLUSTERS["threads"]
        resources:
            **rule_resources("clustsim"),
        params:
            prefix=lambda wildcards, output: output[0].removesuffix(".json"),
            pthr=CLUSTSIM_PTHR,
            athr=CLUSTSIM_ATHR,
            iterations=RS_CLUSTERS["iterations"],
            seed=RS_CLUSTERS["seed"],
            noise=RS_CLUSTERS["noise"],
        script:
            "../scripts/clustsim.py"

else:

    # 3dClustSim's tables under {params.prefix} at every threshold the cluster steps read
    AFNI_3DCLUSTSIM = (
        "mkdir -p {output.work:q} && OMP_NUM_THREADS={threads} "
        + AFNI_CLUSTERS.clustsim_command(
            "{input.mask:q}",
            "{input.words:q}",
            CLUSTSIM_PTHR,
            CLUSTSIM_ATHR,
            RS_CLUSTERS["iterations"],
            RS_CLUSTERS["seed"],
            "{params.prefix:q}",
        )
        + " > {log:q} 2>&1"
    )

    rule run_3dclustsim:
        input:
            mask=rules.lme_fit_mask.output.mask,
            words=CLUSTERS["acf_words"],
        output:
            work=temp(directory(deriv("work/3dclustsim/roi-{seed}"))),
        log:
            logs("run_3dclustsim", SEED_JOB),
        benchmark:
            benchmarks("run_3dclustsim", SEED_JOB)
        container:
            config["containers"]["afni"]
        threads: RS_CLUSTERS["threads"]
        resources:
            **rule_resources("run_3dclustsim"),
        params:
            prefix=lambda wildcards, output: f"{output.work}/clustsim",
        shell:
            AFNI_3DCLUSTSIM

    rule clustsim:
        input:
            work=rules.run_3dclustsim.output.work,
            acf=CLUSTERS["acf"],
            mask=rules.lme_fit_mask.output.mask,
            afni_version=AFNI_VERSION,
        output:
            CLUSTSIM_OUTPUTS,
        log:
            logs("clustsim", SEED_JOB),
        benchmark:
            benchmarks("clustsim", SEED_JOB)
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("clustsim_afni"),
        params:
            prefix=lambda wildcards, output: output[0].removesuffix(".json"),
            iterations=RS_CLUSTERS["iterations"],
            seed=RS_CLUSTERS["seed"],
            container=config["containers"]["afni"],
        script:
            "../scripts/convert_3dclustsim.py"


# the inputs and thresholds of a seed's clusters: the term of interest's and every term's
CLUSTER_INPUTS = {
    "stats": LME_OUTPUTS["stats"],
    "sidecar": LME_OUTPUTS["sidecar"],
    "mask": rules.lme_fit_mask.output.mask,
    "clustsim": CLUSTSIM_OUTPUTS[0],
}
CLUSTER_PARAMS = {
    "pthr": RS_CLUSTERS["pthr"],
    "alpha": RS_CLUSTERS["alpha"],
    "nn": RS_CLUSTERS["nn"],
    "sided": RS_CLUSTERS["sided"],
    "atlases": RS_CLUSTERS["atlases"],
    "atlas_probability": RS_CLUSTERS["atlas_probability"],
}


rule clusters:
    input:
        **CLUSTER_INPUTS,
    output:
        dseg=CLUSTERS["dseg"],
        table=clusters_report(
            CLUSTERS["table"], "rs_clusters_table.rst", table="clusters"
        ),
        sidecar=CLUSTERS["sidecar"],
    log:
        logs("clusters", SEED_JOB),
    benchmark:
        benchmarks("clusters", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("clusters"),
    params:
        **CLUSTER_PARAMS,
        term=RS_GROUP["term"],
    script:
        "../scripts/clusters.py"


rule term_clusters:
    input:
        **CLUSTER_INPUTS,
    output:
        table=clusters_report(
            CLUSTERS["term_table"],
            "rs_term_clusters.rst",
            table="clusters of every term",
        ),
        sidecar=CLUSTERS["term_sidecar"],
    log:
        logs("term_clusters", SEED_JOB),
    benchmark:
        benchmarks("term_clusters", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("term_clusters"),
    params:
        **CLUSTER_PARAMS,
    script:
        "../scripts/term_clusters.py"


rule plot_clusters:
    input:
        dseg=rules.clusters.output.dseg,
        table=rules.clusters.output.table,
        sidecar=rules.clusters.output.sidecar,
        stats=LME_OUTPUTS["stats"],
        lme=LME_OUTPUTS["sidecar"],
        template=rules.write_template.output.t1w,
    output:
        figure=clusters_report(
            CLUSTERS["figure"], "rs_clusters_figure.rst", figure="clusters"
        ),
    log:
        logs("plot_clusters", SEED_JOB),
    benchmark:
        benchmarks("plot_clusters", SEED_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_clusters"),
    params:
        term=RS_GROUP["term"],
    script:
        "../scripts/plot_clusters.py"


rule cluster_summary:
    input:
        tables=expand(rules.clusters.output.table, seed=RS_SEED_NAMES),
        sidecars=expand(rules.clusters.output.sidecar, seed=RS_SEED_NAMES),
    output:
        summary=clusters_report(
            rs_group_file("desc-clusters_summary.tsv"),
            "rs_clusters_summary.rst",
            seed="all",
            table="summary",
        ),
    log:
        logs("cluster_summary", GROUP_JOB),
    benchmark:
        benchmarks("cluster_summary", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("cluster_summary"),
    params:
        seeds=RS_SEED_NAMES,
    script:
        "../scripts/cluster_summary.py"
