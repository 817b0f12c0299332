# The report's provenance page: versions, engine of each step, config as run, exclusions, input QC.
rule provenance:
    input:
        exclusions=rules.collect_input_qc.output.exclusions,
        qc=rules.collect_input_qc.output.qc,
    output:
        page=in_report(deriv("provenance.html"), "provenance.rst", "Provenance"),
    log:
        logs("provenance", GROUP_JOB),
    benchmark:
        benchmarks("provenance", GROUP_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("provenance"),
    script:
        "../scripts/provenance.py"
