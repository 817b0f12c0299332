# Inputs: per-subject checks of every file, the exclusions table and the dataset description.


rule check_subject_inputs:
    input:
        unpack(subject_inputs),
    output:
        qc=subject_file("qc", ".tsv", desc="inputs"),
    log:
        logs("check_subject_inputs", SUBJECT_JOB),
    benchmark:
        benchmarks("check_subject_inputs", SUBJECT_JOB)
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
        logs("collect_scores", GROUP_JOB),
    benchmark:
        benchmarks("collect_scores", GROUP_JOB)
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


# what check_phenotype checks of each arm: its subjects, sessions, participants.tsv columns, scores
PHENOTYPE_ARMS = {
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
}


rule check_phenotype:
    input:
        participants=participants_table(),
        scores=rules.collect_scores.output.table,
    output:
        qc=deriv("phenotype_qc.tsv"),
    log:
        logs("check_phenotype", GROUP_JOB),
    benchmark:
        benchmarks("check_phenotype", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("check_phenotype"),
    params:
        columns=config["phenotype"],
        sources={name: meta["Source"] for name, meta in SCORE_META.items()},
        arms=PHENOTYPE_ARMS,
    script:
        "../scripts/check_phenotype.py"


# every discovered [subject, session] of each arm (collect_input_qc stops on a whole arm failing)
ARM_SESSIONS = {
    "dti": [[s, ses] for s in INVENTORY.dti_subjects for ses in INVENTORY.dwi[s]],
    "rsfmri": [
        [s, ses] for s in INVENTORY.rsfmri_subjects for ses in INVENTORY.bold[s]
    ],
}


checkpoint collect_input_qc:
    input:
        qc=expand(rules.check_subject_inputs.output.qc, subject=SUBJECTS),
        phenotype=rules.check_phenotype.output.qc,
    output:
        qc=in_report(deriv("input_qc.tsv"), "input_qc.rst", "Inputs"),
        exclusions=in_report(deriv("exclusions.tsv"), "exclusions.rst", "Inputs"),
        inventory=in_report(
            deriv("figures/inputs_inventory.png"), "inventory.rst", "Inputs"
        ),
    log:
        logs("collect_input_qc", GROUP_JOB),
    benchmark:
        benchmarks("collect_input_qc", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("collect_input_qc"),
    params:
        discovery_exclusions=INVENTORY.exclusions_table().to_dict("records"),
        status=inventory_status(INVENTORY, DTI, RS),
        arm_sessions=ARM_SESSIONS,
    script:
        "../scripts/collect_input_qc.py"


rule write_dataset_description:
    output:
        description=deriv("dataset_description.json"),
    log:
        logs("write_dataset_description", GROUP_JOB),
    benchmark:
        benchmarks("write_dataset_description", GROUP_JOB)
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
