# DTI arm, subject level: series -> mask and mean b0 -> tensor -> registration -> MD in MNI.
# Engines per step from config dti.engines; both variants of a rule share its name, its inputs and
# outputs (the dicts below), and differ in the command.
rule write_template:
    output:
        t1w=deriv(f"templates/tpl-{NATIVE_SPACE}_res-{DTI_RES}_T1w.nii.gz"),
        mask=deriv(f"templates/tpl-{NATIVE_SPACE}_res-{DTI_RES}_desc-brain_mask.nii.gz"),
    log:
        logs("write_template", f"res-{DTI_RES}"),
    benchmark:
        benchmarks("write_template", f"res-{DTI_RES}")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("write_template"),
    params:
        resolution_mm=DTI_RES,
    script:
        "../scripts/write_template.py"


rule compute_dwi_reference:
    input:
        dwi=rules.correct_dwi.output.dwi,
        bval=rules.correct_dwi.output.bval,
    output:
        b0=dwi_file("dwiref", ".nii.gz", space="dwi", desc="meanb0"),
        mask=dwi_file("mask", ".nii.gz", space="dwi", desc="brain"),
    log:
        logs("compute_dwi_reference", SESSION_JOB),
    benchmark:
        benchmarks("compute_dwi_reference", SESSION_JOB)
    group:
        "subject"
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("compute_dwi_reference"),
    script:
        "../scripts/compute_dwi_reference.py"


# the tensor fit of either engine: the corrected series and mask -> MD, FA, AD, RD in DWI space
TENSOR_INPUTS = {
    "dwi": rules.correct_dwi.output.dwi,
    "bval": rules.correct_dwi.output.bval,
    "bvec": rules.correct_dwi.output.bvec,
    "mask": rules.compute_dwi_reference.output.mask,
}
TENSOR_MAPS = {
    p: dwi_file("dwimap", ".nii.gz", space="dwi", param=p)
    for p in ("md", "fa", "ad", "rd")
}


if DTI_ENGINES["tensor"] == "native":

    rule fit_tensor:
        input:
            **TENSOR_INPUTS,
        output:
            **TENSOR_MAPS,
            qc=dwi_file("qc", ".tsv", desc="tensor"),
        log:
            logs("fit_tensor", SESSION_JOB),
        benchmark:
            benchmarks("fit_tensor", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("fit_tensor"),
        script:
            "../scripts/fit_tensor.py"

else:

    rule fit_tensor:
        input:
            **TENSOR_INPUTS,
        output:
            **TENSOR_MAPS,
        log:
            logs("fit_tensor", SESSION_JOB),
        benchmark:
            benchmarks("fit_tensor", SESSION_JOB)
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        resources:
            **rule_resources("fit_tensor_fsl"),
        params:
            prefix=lambda wildcards, output: output.md.replace(
                "_param-md_dwimap.nii.gz", "_dtifit"
            ),
        shell:
            f"({FSL_TENSOR}) > {{log:q}} 2>&1"


FA_TO_TEMPLATE = {"to": DTI_SPACE, "mode": "image", "from": "dwi"}  # FSL: the pre FA's
# a session's QC figures in the report: registration overlay, MD histogram
DTI_QC_FIGURES = {
    "overlay": session_report(
        "registration",
        "dti_registration.rst",
        "DTI subject level",
        "registration to MNI",
        figure="FA + template edges",
    ),
    "histogram": session_report(
        "mdhistogram",
        "dti_md_histogram.rst",
        "DTI subject level",
        "MD histograms",
        figure="MD histogram",
    ),
}
# both engines: the post session's rigid onto the pre session, and the maps in the template
SESSION_XFM = subject_file(
    "xfm",
    ".mat",
    datatype="dwi",
    ses=DTI_POST,
    to=DTI_PRE,
    mode="image",
    **{"from": "dwi"},
)
WARPED_MAPS = {
    "md": dwi_file("dwimap", ".nii.gz", space=DTI_SPACE, res=DTI_RES, param="md"),
    "fa": dwi_file("dwimap", ".nii.gz", space=DTI_SPACE, res=DTI_RES, param="fa"),
    "sidecar": dwi_file("dwimap", ".json", space=DTI_SPACE, res=DTI_RES, param="md"),
}


if DTI_ENGINES["registration"] == "native":

    rule register_sessions:
        input:
            fixed=session_image(DTI_PRE, rules.compute_dwi_reference.output.b0),
            moving=session_image(DTI_POST, rules.compute_dwi_reference.output.b0),
        output:
            xfm=SESSION_XFM,
        log:
            logs("register_sessions", SUBJECT_JOB),
        benchmark:
            benchmarks("register_sessions", SUBJECT_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("register_sessions"),
        script:
            "../scripts/register_rigid.py"

    rule register_dwi_to_t1w:
        input:
            fixed=lambda wildcards: INVENTORY.t1w[wildcards.subject],
            moving=session_image(DTI_PRE, rules.compute_dwi_reference.output.b0),
        output:
            xfm=dwi_pre_file("xfm", ".mat", to="T1w", mode="image", **{"from": "dwi"}),
        log:
            logs("register_dwi_to_t1w", SUBJECT_JOB),
        benchmark:
            benchmarks("register_dwi_to_t1w", SUBJECT_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("register_dwi_to_t1w"),
        script:
            "../scripts/register_rigid.py"

    T1W_TO_TEMPLATE = {
        "affine": anat_xfm(".mat"),
        "warp": anat_xfm(".nii.gz"),
        "brain": subject_file("T1w", ".nii.gz", datatype="anat", desc="brain"),
    }

    rule register_t1w_to_template:
        input:
            t1w=lambda wildcards: INVENTORY.t1w[wildcards.subject],
            template=rules.write_template.output.t1w,
            dwi_mask=session_image(DTI_PRE, rules.compute_dwi_reference.output.mask),
            dwi_to_t1w=rules.register_dwi_to_t1w.output.xfm,
        output:
            **T1W_TO_TEMPLATE,
        log:
            logs("register_t1w_to_template", SUBJECT_JOB),
        benchmark:
            benchmarks("register_t1w_to_template", SUBJECT_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("register_t1w_to_template"),
        params:
            syn_iterations=DTI["syn_iterations"],
        script:
            "../scripts/register_t1w_to_template.py"

    rule warp_dti_to_template:
        input:
            unpack(native_chain),
            md=rules.fit_tensor.output.md,
            fa=rules.fit_tensor.output.fa,
            mask=rules.compute_dwi_reference.output.mask,
            template=rules.write_template.output.t1w,
        output:
            **WARPED_MAPS,
        log:
            logs("warp_dti_to_template", SESSION_JOB),
        benchmark:
            benchmarks("warp_dti_to_template", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("warp_dti_to_template"),
        script:
            "../scripts/warp_dti_to_template.py"

else:

    rule register_sessions:
        input:
            fixed=session_image(DTI_PRE, rules.fit_tensor.output.fa),
            moving=session_image(DTI_POST, rules.fit_tensor.output.fa),
        output:
            xfm=SESSION_XFM,
        log:
            logs("register_sessions", SUBJECT_JOB),
        benchmark:
            benchmarks("register_sessions", SUBJECT_JOB)
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        resources:
            **rule_resources("register_sessions_fsl"),
        shell:
            f"({FSL_FLIRT}) > {{log:q}} 2>&1"

    rule register_fa_to_template:
        input:
            fa=session_image(DTI_PRE, rules.fit_tensor.output.fa),
        output:
            affine=dwi_pre_file("xfm", ".mat", **FA_TO_TEMPLATE),
            warp=dwi_pre_file("xfm", "_warp.nii.gz", **FA_TO_TEMPLATE),
        log:
            logs("register_fa_to_template", SUBJECT_JOB),
        benchmark:
            benchmarks("register_fa_to_template", SUBJECT_JOB)
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        resources:
            **rule_resources("register_fa_to_template"),
        params:
            prefix=lambda wildcards, output: output.affine[: -len(".mat")],
        shell:
            f"({FSL_REG}) > {{log:q}} 2>&1"

    rule warp_dti_to_template:
        input:
            unpack(fsl_premat),
            md=rules.fit_tensor.output.md,
            fa=rules.fit_tensor.output.fa,
            warp=rules.register_fa_to_template.output.warp,
        output:
            **WARPED_MAPS,
        log:
            logs("warp_dti_to_template", SESSION_JOB),
        benchmark:
            benchmarks("warp_dti_to_template", SESSION_JOB)
        group:
            "subject"
        container:
            config["containers"]["fsl"]
        resources:
            **rule_resources("warp_dti_to_template_fsl"),
        params:
            md=fsl_applywarp("md"),
            fa=fsl_applywarp("fa"),
            sidecar=fsl_warp_sidecar,
        shell:
            "({params.md} && {params.fa} && echo {params.sidecar:q} > {output.sidecar:q}) > {log:q} 2>&1"


rule plot_dti_qc:
    input:
        md=rules.warp_dti_to_template.output.md,
        fa=rules.warp_dti_to_template.output.fa,
        md_dwi=rules.fit_tensor.output.md,
        mask=rules.compute_dwi_reference.output.mask,
        template=rules.write_template.output.t1w,
    output:
        **DTI_QC_FIGURES,
    log:
        logs("plot_dti_qc", SESSION_JOB),
    benchmark:
        benchmarks("plot_dti_qc", SESSION_JOB)
    group:
        "subject"
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_dti_qc"),
    params:
        space=DTI_SPACE,
    script:
        "../scripts/plot_dti_qc.py"
