# DTI arm, corrections: susceptibility field from the AP/PA b0s, motion and eddy currents, bvec
# rotation, both series combined -> desc-preproc DWI (the tensor fit's input). When one direction
# is a b0-only series in fmap/ (no bval/bvec), it gives the field only and the DWI series is
# corrected alone (the output is that series).
# Engine from config dti.engines.topup/eddy; both variants of correct_dwi share name and outputs.

# both engines: the corrected series (image, bval, bvec) and the susceptibility field (Hz)
DWI_PREPROC = {
    "dwi": dwi_file("dwi", ".nii.gz", desc="preproc"),
    "bval": dwi_file("dwi", ".bval", desc="preproc"),
    "bvec": dwi_file("dwi", ".bvec", desc="preproc"),
}
DWI_FIELD = dwi_file("fieldmap", ".nii.gz", desc="susceptibility")


if DTI_ENGINES["eddy"] == "native":
    # the native engine's other outputs, in order (snakefmt puts ** entries before keywords): the
    # series' sidecar, field, displacement, and QC: motion table, outlier slices, figures
    NATIVE_CORRECTION_OUTPUTS = {
        "sidecar": dwi_file("dwi", ".json", desc="preproc"),
        "field": DWI_FIELD,
        "displacement": dwi_file("fieldmap", ".nii.gz", desc="displacement"),
        "motion": in_report(
            dwi_file("motion", ".tsv", desc="eddy"),
            "dwi_motion_table.rst",
            "DTI corrections",
            "motion and eddy parameters",
            subject="{subject}",
            session="{session}",
            table="TSV",
        ),
        "outliers": dwi_file("outliers", ".tsv", desc="dropout"),
        "field_figure": session_report(
            "field",
            "dwi_field.rst",
            "DTI corrections",
            "susceptibility field",
            figure="field",
        ),
        "motion_figure": session_report(
            "motion",
            "dwi_motion.rst",
            "DTI corrections",
            "motion and eddy parameters",
            figure="motion",
        ),
    }

    rule correct_dwi:
        input:
            unpack(dwi_series),
        output:
            **DWI_PREPROC,
            **NATIVE_CORRECTION_OUTPUTS,
        log:
            logs("correct_dwi", SESSION_JOB),
        benchmark:
            benchmarks("correct_dwi", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        threads: config["resources"]["correct_dwi"]["threads"]
        resources:
            **rule_resources("correct_dwi"),
        params:
            directions=DTI["phase_encoding_dirs"],
            iterations=DTI["corrections"]["iterations"],
        script:
            "../scripts/correct_dwi.py"

    rule collect_dwi_outliers:
        input:
            tables=session_outlier_tables,
        output:
            table=in_report(
                deriv("group/dti/dwi_outliers.tsv"),
                "dwi_outliers.rst",
                "DTI corrections",
                "outlier slices",
                table="all sessions",
            ),
            html=deriv("group/dti/dwi_outliers.html"),
        log:
            logs("collect_dwi_outliers", "all"),
        benchmark:
            benchmarks("collect_dwi_outliers", "all")
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("collect_dwi_outliers"),
        params:
            sessions=lambda wildcards: dti_session_keys(),
        script:
            "../scripts/collect_dwi_outliers.py"

else:

    rule prepare_fsl_corrections:
        input:
            unpack(dwi_series),
        output:
            acqparams=dwi_file("acqparams", ".txt"),
            index=dwi_file("index", ".txt"),
            b0_acqparams=dwi_file("acqparams", ".txt", desc="b0"),
            b0_volumes=dwi_file("b0volumes", ".txt"),
            bval=dwi_file("dwi", ".bval", desc="merged"),
            bvec=dwi_file("dwi", ".bvec", desc="merged"),
        log:
            logs("prepare_fsl_corrections", SESSION_JOB),
        benchmark:
            benchmarks("prepare_fsl_corrections", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("prepare_fsl_corrections"),
        params:
            directions=DTI["phase_encoding_dirs"],
        script:
            "../scripts/prepare_fsl_corrections.py"

    # FSL_CORRECTIONS' files from prepare_fsl_corrections, and its words: work-file prefix and
    # folder, eddy's --imain, the b0 indices (comma list; one word, read when the job runs)
    FSL_PREPARED = {
        **{
            key: getattr(rules.prepare_fsl_corrections.output, key)
            for key in ("acqparams", "index", "b0_acqparams", "b0_volumes")
        },
        "merged_bval": rules.prepare_fsl_corrections.output.bval,
        "merged_bvec": rules.prepare_fsl_corrections.output.bvec,
    }
    FSL_CORRECTION_PARAMS = {
        "work": lambda wildcards, output: fsl_work(output),
        "eddy_series": eddy_series,
        "work_dir": lambda wildcards, output: str(Path(output.dwi).parent),
        "b0_volumes": lambda wildcards, input: Path(input.b0_volumes)
        .read_text()
        .strip(),
    }

    rule correct_dwi:
        input:
            unpack(dwi_series),
            **FSL_PREPARED,
        output:
            **DWI_PREPROC,
            field=DWI_FIELD,
            parameters=dwi_file("motion", ".txt", desc="eddyparameters"),
            outlier_map=dwi_file("outliers", ".txt", desc="eddyoutliermap"),
            b0_motion=dwi_file("motion", ".par", desc="mcflirt"),
        log:
            logs("correct_dwi", SESSION_JOB),
        benchmark:
            benchmarks("correct_dwi", SESSION_JOB)
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        threads: config["resources"]["correct_dwi_fsl"]["threads"]
        resources:
            **rule_resources("correct_dwi_fsl"),
        params:
            **FSL_CORRECTION_PARAMS,
        shell:
            f"({FSL_CORRECTIONS}) > {{log:q}} 2>&1"
