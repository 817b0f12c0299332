# DTI arm, corrections: susceptibility field from the AP/PA b0s, motion and eddy currents, bvec
# rotation, both series combined -> desc-preproc DWI (the tensor fit's input). When one direction
# is a b0-only series in fmap/ (no bval/bvec), it gives the field only and the DWI series is
# corrected alone (the output is that series).
# Engine from config dti.engines.topup/eddy; both variants of correct_dwi share name and outputs.

if DTI_ENGINES["eddy"] == "native":

    rule correct_dwi:
        input:
            unpack(dwi_series),
        output:
            dwi=dwi_file("dwi", ".nii.gz", desc="preproc"),
            bval=dwi_file("dwi", ".bval", desc="preproc"),
            bvec=dwi_file("dwi", ".bvec", desc="preproc"),
            sidecar=dwi_file("dwi", ".json", desc="preproc"),
            field=dwi_file("fieldmap", ".nii.gz", desc="susceptibility"),
            displacement=dwi_file("fieldmap", ".nii.gz", desc="displacement"),
            motion=report(
                dwi_file("motion", ".tsv", desc="eddy"),
                caption="../report/dwi_motion_table.rst",
                category="DTI corrections",
                subcategory="motion and eddy parameters",
                labels={
                    "subject": "{subject}",
                    "session": "{session}",
                    "table": "TSV",
                },
            ),
            outliers=dwi_file("outliers", ".tsv", desc="dropout"),
            field_figure=report(
                subject_file(
                    "qc", ".png", datatype="figures", ses="{session}", desc="field"
                ),
                caption="../report/dwi_field.rst",
                category="DTI corrections",
                subcategory="susceptibility field",
                labels={
                    "subject": "{subject}",
                    "session": "{session}",
                    "figure": "field",
                },
            ),
            motion_figure=report(
                subject_file(
                    "qc", ".png", datatype="figures", ses="{session}", desc="motion"
                ),
                caption="../report/dwi_motion.rst",
                category="DTI corrections",
                subcategory="motion and eddy parameters",
                labels={
                    "subject": "{subject}",
                    "session": "{session}",
                    "figure": "motion",
                },
            ),
        log:
            logs("correct_dwi", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("correct_dwi", "sub-{subject}_ses-{session}")
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
            tables=lambda wildcards: dti_session_targets(
                rules.correct_dwi.output.outliers
            ),
        output:
            table=report(
                deriv("group/dti/dwi_outliers.tsv"),
                caption="../report/dwi_outliers.rst",
                category="DTI corrections",
                subcategory="outlier slices",
                labels={"table": "all sessions"},
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
            logs("prepare_fsl_corrections", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("prepare_fsl_corrections", "sub-{subject}_ses-{session}")
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

    rule correct_dwi:
        input:
            unpack(dwi_series),
            acqparams=rules.prepare_fsl_corrections.output.acqparams,
            index=rules.prepare_fsl_corrections.output.index,
            b0_acqparams=rules.prepare_fsl_corrections.output.b0_acqparams,
            b0_volumes=rules.prepare_fsl_corrections.output.b0_volumes,
            merged_bval=rules.prepare_fsl_corrections.output.bval,
            merged_bvec=rules.prepare_fsl_corrections.output.bvec,
        output:
            dwi=dwi_file("dwi", ".nii.gz", desc="preproc"),
            bval=dwi_file("dwi", ".bval", desc="preproc"),
            bvec=dwi_file("dwi", ".bvec", desc="preproc"),
            field=dwi_file("fieldmap", ".nii.gz", desc="susceptibility"),
            parameters=dwi_file("motion", ".txt", desc="eddyparameters"),
            outlier_map=dwi_file("outliers", ".txt", desc="eddyoutliermap"),
            b0_motion=dwi_file("motion", ".par", desc="mcflirt"),
        log:
            logs("correct_dwi", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("correct_dwi", "sub-{subject}_ses-{session}")
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        threads: config["resources"]["correct_dwi_fsl"]["threads"]
        resources:
            **rule_resources("correct_dwi_fsl"),
        params:
            work=lambda wildcards, output: fsl_work(output),
            eddy_series=eddy_series,
            work_dir=lambda wildcards, output: str(Path(output.dwi).parent),
            # the b0 indices (comma list) as one word, read when the job runs
            b0_volumes=lambda wildcards, input: Path(input.b0_volumes)
            .read_text()
            .strip(),
        shell:
            f"({FSL_CORRECTIONS}) > {{log:q}} 2>&1"
