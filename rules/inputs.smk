# Inputs: per-subject checks of every file, the exclusions table and the dataset description.


rule check_subject_inputs:
    input:
        unpack(subject_inputs),
    output:
        qc=subject_file("qc", ".tsv", desc="inputs"),
    log:
        logs("check_subject_inputs", "sub-{subject}"),
    benchmark:
        benchmarks("check_subject_inputs", "sub-{subject}")
    group:
        "subject"
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("check_subject_inputs"),
    params:
        denoise=RS["denoise"],
        bold_tr_s=RS_TR[0],
        tr_source=RS_TR[1],
    script:
        "../scripts/check_subject_inputs.py"


rule collect_scores:
    input:
        tables=score_inputs(),
    output:
        table=deriv("phenotype/scores.tsv"),
        sidecar=deriv("phenotype/scores.json"),
    log:
        logs("collect_scores", "group"),
    benchmark:
        benchmarks("collect_scores", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("collect_scores"),
    params:
        scores=SCORES,
        metadata=SCORE_META,
        sessions_files=lambda wildcards: sessions_tables(BIDS, SUBJECTS),
    script:
        "../scripts/collect_scores.py"


rule check_phenotype:
    input:
        participants=participants_table(),
        scores=rules.collect_scores.output.table,
    output:
        qc=deriv("phenotype_qc.tsv"),
    log:
        logs("check_phenotype", "group"),
    benchmark:
        benchmarks("check_phenotype", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("check_phenotype"),
    params:
        columns=config["phenotype"],
        sources={name: meta["Source"] for name, meta in SCORE_META.items()},
        arms={
            "dti": {
                "subjects": INVENTORY.dti_subjects,
                "sessions": list(DTI["sessions"].values()),
                "participant_keys": DTI_PARTICIPANT_KEYS,
                "group_column": DTI_GROUP_COLUMN,
                "session_keys": list(DTI["statistics"]["outcomes"]),
            },
            "rsfmri": {
                "subjects": INVENTORY.rsfmri_subjects,
                "sessions": list(RS["sessions"].values()),
                "group_column": RS_GROUP_COLUMN,
                "session_keys": [
                    RS["followup"]["crp"]["score"],
                    *RS["followup"]["symptoms"],
                ],
            },
        },
    script:
        "../scripts/check_phenotype.py"


checkpoint collect_input_qc:
    input:
        qc=expand(rules.check_subject_inputs.output.qc, subject=SUBJECTS),
        phenotype=rules.check_phenotype.output.qc,
    output:
        qc=report(
            deriv("input_qc.tsv"),
            caption="../report/input_qc.rst",
            category="Inputs",
        ),
        exclusions=report(
            deriv("exclusions.tsv"),
            caption="../report/exclusions.rst",
            category="Inputs",
        ),
        inventory=report(
            deriv("figures/inputs_inventory.png"),
            caption="../report/inventory.rst",
            category="Inputs",
        ),
    log:
        logs("collect_input_qc", "group"),
    benchmark:
        benchmarks("collect_input_qc", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("collect_input_qc"),
    params:
        discovery_exclusions=INVENTORY.exclusions_table().to_dict("records"),
        status=inventory_status(INVENTORY, DTI, RS),
        arm_sessions={
            "dti": [
                [s, ses] for s in INVENTORY.dti_subjects for ses in INVENTORY.dwi[s]
            ],
            "rsfmri": [
                [s, ses]
                for s in INVENTORY.rsfmri_subjects
                for ses in INVENTORY.bold[s]
            ],
        },
    script:
        "../scripts/collect_input_qc.py"


rule write_dataset_description:
    output:
        description=deriv("dataset_description.json"),
    log:
        logs("write_dataset_description", "group"),
    benchmark:
        benchmarks("write_dataset_description", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("write_dataset_description"),
    params:
        source=str(BIDS),
        engines={"dti": DTI["engines"], "rsfmri": RS["engines"]},
        containers=config["containers"],
    script:
        "../scripts/write_dataset_description.py"
