# rsfMRI arm, subject level (study 000): seed spheres -> denoised BOLD -> Fisher-z seed maps.
# The netcorr engine comes from config rsfmri.engines.netcorr; both variants give the same files.


rule make_seed_rois:
    input:
        reference=rs_reference_bold,
        template=rules.write_template.output.t1w,
    output:
        labels=deriv(f"rois/{RS_GRID}_desc-seeds_dseg.nii.gz"),
        table=seeds_report(deriv(f"rois/{RS_GRID}_desc-seeds_dseg.tsv")),
        figure=seeds_report(deriv(f"figures/{RS_GRID}_desc-seeds_qc.png")),
    log:
        logs("make_seed_rois", RS_GRID),
    benchmark:
        benchmarks("make_seed_rois", RS_GRID)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("make_seed_rois"),
    params:
        rois=RS_ROIS,
        radius_mm=RS_SEEDS["radius_mm"],
        min_voxels=RS_SEEDS["min_voxels"],
    script:
        "../scripts/make_seed_rois.py"


if "afni" in RS_ENGINES.values():

    rule afni_version:
        output:
            version=AFNI_VERSION,
        log:
            logs("afni_version", "afni"),
        container:
            config["containers"]["afni"]
        resources:
            **rule_resources("afni_version"),
        params:
            container=config["containers"]["afni"],
        shell:
            afni_version_command("{output.version:q}") + " 2> {log:q}"


FD_FIGURE = session_report(
    "fd", "rs_fd.rst", "rsfMRI subject level", "motion and censoring", figure="FD"
)


rule denoise_bold:
    input:
        unpack(bold_inputs),
    output:
        bold=temp(func_file("bold", ".nii.gz", space=RS["space"], desc="denoised")),
        sidecar=func_file("bold", ".json", space=RS["space"], desc="denoised"),
        mask=func_file("mask", ".nii.gz", space=RS["space"], desc="denoise"),
        censoring=func_file("timeseries", ".tsv", desc="censoring"),
        fd_figure=FD_FIGURE,
    log:
        logs("denoise_bold", SESSION_JOB),
    benchmark:
        benchmarks("denoise_bold", SESSION_JOB)
    group:
        "subject"
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("denoise_bold"),
    params:
        denoise=RS["denoise"],
    script:
        "../scripts/denoise_bold.py"


# both engines: one session's denoised BOLD and ROIs -> a Fisher-z map per ROI, the ROI table
SEED_MAP_INPUTS = {
    "bold": rules.denoise_bold.output.bold,
    "denoised": rules.denoise_bold.output.sidecar,
    "mask": rules.denoise_bold.output.mask,
    "labels": rules.make_seed_rois.output.labels,
}
SEED_MAP_OUTPUTS = {
    "z": seed_map_files(),
    "netcc": func_file("relmat", ".tsv", space=RS["space"], desc="netcc"),
    "sidecar": func_file("relmat", ".json", space=RS["space"], desc="netcc"),
}


if RS_ENGINES["netcorr"] == "native":

    rule seed_maps:
        input:
            **SEED_MAP_INPUTS,
            table=rules.make_seed_rois.output.table,
        output:
            **SEED_MAP_OUTPUTS,
        log:
            logs("seed_maps", SESSION_JOB),
        benchmark:
            benchmarks("seed_maps", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("seed_maps"),
        params:
            rois=list(RS_ROIS),
            min_voxels=RS_SEEDS["min_voxels"],
        script:
            "../scripts/seed_maps.py"

else:

    # 3dNetCorr in {output.work}; an excluded session (too few volumes, see its sidecar) is not run
    AFNI_NETCORR = (
        "mkdir -p {output.work:q} && "
        "if grep -q '\"Excluded\": null' {input.denoised:q}; then "
        + AFNI.netcorr_command(
            "{input.bold}", "{input.labels}", "{input.mask}", "{params.prefix}"
        )
        + " > {log:q} 2>&1; else echo excluded > {log:q}; fi"
    )

    rule run_3dnetcorr:
        input:
            **SEED_MAP_INPUTS,
        output:
            work=temp(directory(deriv("work/3dnetcorr/sub-{subject}_ses-{session}"))),
        log:
            logs("run_3dnetcorr", SESSION_JOB),
        benchmark:
            benchmarks("run_3dnetcorr", SESSION_JOB)
        group:
            "subject"
        container:
            config["containers"]["afni"]
        resources:
            **rule_resources("run_3dnetcorr"),
        params:
            prefix=lambda wildcards, output: f"{output.work}/netcorr",
        shell:
            AFNI_NETCORR

    rule seed_maps:
        input:
            **{"work": rules.run_3dnetcorr.output.work, **SEED_MAP_INPUTS},
            table=rules.make_seed_rois.output.table,
            afni_version=AFNI_VERSION,
        output:
            **SEED_MAP_OUTPUTS,
        log:
            logs("seed_maps", SESSION_JOB),
        benchmark:
            benchmarks("seed_maps", SESSION_JOB)
        group:
            "subject"
        conda:
            "../envs/trialmri.yaml"
        resources:
            **rule_resources("seed_maps_afni"),
        params:
            rois=list(RS_ROIS),
            prefix=lambda wildcards, input: f"{input.work}/netcorr",
            container=config["containers"]["afni"],
        script:
            "../scripts/convert_afni_netcorr.py"


# the sample session's seed maps in the report, one figure per ROI (seeds, then controls)
SEED_MAP_FIGURES = [
    session_report(
        f"seed{roi}",
        "rs_seed_map.rst",
        "rsfMRI subject level",
        "seed maps (sample subject)",
        seed=roi,
    )
    for roi in RS_ROIS
]


rule plot_seed_maps:
    input:
        z=seed_map_files(),
        template=rules.write_template.output.t1w,
    output:
        figures=SEED_MAP_FIGURES,
    log:
        logs("plot_seed_maps", SESSION_JOB),
    benchmark:
        benchmarks("plot_seed_maps", SESSION_JOB)
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_seed_maps"),
    params:
        rois=list(RS_ROIS),
        centres=RS_ROIS,
    script:
        "../scripts/plot_seed_maps.py"
