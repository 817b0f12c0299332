# rsfMRI arm, subject level (study 000): seed spheres -> denoised BOLD -> Fisher-z seed maps.
# The netcorr engine comes from config rsfmri.engines.netcorr; both variants give the same files.


rule make_seed_rois:
    input:
        reference=rs_reference_bold,
        template=rules.write_template.output.t1w,
    output:
        labels=deriv(f"rois/{RS_GRID}_desc-seeds_dseg.nii.gz"),
        table=report(
            deriv(f"rois/{RS_GRID}_desc-seeds_dseg.tsv"),
            caption="../report/rs_seeds.rst",
            category="rsfMRI subject level",
            subcategory="seeds",
        ),
        figure=report(
            deriv(f"figures/{RS_GRID}_desc-seeds_qc.png"),
            caption="../report/rs_seeds.rst",
            category="rsfMRI subject level",
            subcategory="seeds",
        ),
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


rule denoise_bold:
    input:
        unpack(bold_inputs),
    output:
        bold=temp(func_file("bold", ".nii.gz", space=RS["space"], desc="denoised")),
        sidecar=func_file("bold", ".json", space=RS["space"], desc="denoised"),
        mask=func_file("mask", ".nii.gz", space=RS["space"], desc="denoise"),
        censoring=func_file("timeseries", ".tsv", desc="censoring"),
        fd_figure=report(
            subject_file("qc", ".png", datatype="figures", ses="{session}", desc="fd"),
            caption="../report/rs_fd.rst",
            category="rsfMRI subject level",
            subcategory="motion and censoring",
            labels={"subject": "{subject}", "session": "{session}", "figure": "FD"},
        ),
    log:
        logs("denoise_bold", "sub-{subject}_ses-{session}"),
    benchmark:
        benchmarks("denoise_bold", "sub-{subject}_ses-{session}")
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


if RS_ENGINES["netcorr"] == "native":

    rule seed_maps:
        input:
            bold=rules.denoise_bold.output.bold,
            denoised=rules.denoise_bold.output.sidecar,
            mask=rules.denoise_bold.output.mask,
            labels=rules.make_seed_rois.output.labels,
            table=rules.make_seed_rois.output.table,
        output:
            z=seed_map_files(),
            netcc=func_file("relmat", ".tsv", space=RS["space"], desc="netcc"),
            sidecar=func_file("relmat", ".json", space=RS["space"], desc="netcc"),
        log:
            logs("seed_maps", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("seed_maps", "sub-{subject}_ses-{session}")
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

    rule run_3dnetcorr:
        input:
            bold=rules.denoise_bold.output.bold,
            denoised=rules.denoise_bold.output.sidecar,
            mask=rules.denoise_bold.output.mask,
            labels=rules.make_seed_rois.output.labels,
        output:
            work=temp(directory(deriv("work/3dnetcorr/sub-{subject}_ses-{session}"))),
        log:
            logs("run_3dnetcorr", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("run_3dnetcorr", "sub-{subject}_ses-{session}")
        group:
            "subject"
        container:
            config["containers"]["afni"]
        resources:
            **rule_resources("run_3dnetcorr"),
        params:
            prefix=lambda wildcards, output: f"{output.work}/netcorr",
        shell:
            # an excluded session (too few volumes, see its sidecar) is not run
            "mkdir -p {output.work:q} && "
            "if grep -q '\"Excluded\": null' {input.denoised:q}; then "
            + AFNI.netcorr_command(
                "{input.bold}", "{input.labels}", "{input.mask}", "{params.prefix}"
            )
            + " > {log:q} 2>&1; else echo excluded > {log:q}; fi"

    rule seed_maps:
        input:
            work=rules.run_3dnetcorr.output.work,
            bold=rules.denoise_bold.output.bold,
            denoised=rules.denoise_bold.output.sidecar,
            mask=rules.denoise_bold.output.mask,
            labels=rules.make_seed_rois.output.labels,
            table=rules.make_seed_rois.output.table,
            afni_version=AFNI_VERSION,
        output:
            z=seed_map_files(),
            netcc=func_file("relmat", ".tsv", space=RS["space"], desc="netcc"),
            sidecar=func_file("relmat", ".json", space=RS["space"], desc="netcc"),
        log:
            logs("seed_maps", "sub-{subject}_ses-{session}"),
        benchmark:
            benchmarks("seed_maps", "sub-{subject}_ses-{session}")
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


rule plot_seed_maps:
    input:
        z=seed_map_files(),
        template=rules.write_template.output.t1w,
    output:
        figures=[
            report(
                subject_file(
                    "qc",
                    ".png",
                    datatype="figures",
                    ses="{session}",
                    desc=f"seed{roi}",
                ),
                caption="../report/rs_seed_map.rst",
                category="rsfMRI subject level",
                subcategory="seed maps (sample subject)",
                labels={"subject": "{subject}", "session": "{session}", "seed": roi},
            )
            for roi in RS_ROIS
        ],
    log:
        logs("plot_seed_maps", "sub-{subject}_ses-{session}"),
    benchmark:
        benchmarks("plot_seed_maps", "sub-{subject}_ses-{session}")
    conda:
        "../envs/trialmri.yaml"
    resources:
        **rule_resources("plot_seed_maps"),
    params:
        rois=list(RS_ROIS),
        centres=RS_ROIS,
    script:
        "../scripts/plot_seed_maps.py"
