# The report's provenance page: versions, engine of each step, config as run, exclusions, input QC.
rule provenance:
    input:
        exclusions=rules.collect_input_qc.output.exclusions,
        qc=rules.collect_input_qc.output.qc,
    output:
        page=report(
            deriv("provenance.html"),
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        logs("provenance", "group"),
    benchmark:
        benchmarks("provenance", "group")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("provenance"),
    script:
        "../scripts/provenance.py"
