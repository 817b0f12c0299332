# Config validation, BIDS discovery and path helpers. Nothing here runs a job.
import functools
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.utils import validate

from trialmri.bids.discovery import Inventory, discover
from trialmri.bids.fieldmaps import full_series
from trialmri.bids.naming import bids_path
from trialmri.bids.phenotype import sessions_tables, transformed_name
from trialmri.bids.scores import (
    check_score_specs,
    labelled,
    legacy_message,
    score_metadata,
    score_specs,
    score_tables,
)
from trialmri.bids.repetition_times import arm_tr
from trialmri.bids.selection_checks import raw_has_bold, selection_problems
from trialmri.dwi import fsl_commands as FSL
from trialmri.fc import afni_commands as AFNI
from trialmri.fc.group_sessions import formula_variables, model_terms
from trialmri.lme import afni_commands as AFNI_LME
from trialmri.clusters import afni_commands as AFNI_CLUSTERS
from trialmri.afni_version import version_command as afni_version_command
from trialmri.templates import SPACE as NATIVE_SPACE
from trialmri.inventory import inventory_status
from trialmri.tables import failed_input_checks, session_failed

validate(config, schema="../config/schema.yaml", set_default=True)

OUT = Path(config["output_dir"])
BIDS = Path(config["bids_dir"])
DTI, RS = config["dti"], config["rsfmri"]


def linting():
    """True while ``snakemake --lint`` parses the workflow (the only mode Snakemake creates without
    the environment-variable check; ``--lint`` on the command line says the same)."""
    return getattr(workflow, "check_envvars", True) is False or any(
        arg == "--lint" or arg.startswith("--lint=") for arg in sys.argv[1:]
    )


if linting() and not (BIDS / "dataset_description.json").exists():
    # `snakemake --lint` (the workflow catalog runs it on a fresh clone, with this config) checks
    # the rules and Snakefiles and reads no input: lint against an empty dataset. Every other run
    # stops in discover() when bids_dir is not a BIDS dataset.
    print(
        f"bids_dir {BIDS} is not a BIDS dataset: linting without one (no subjects)",
        file=sys.stderr,
    )
    INVENTORY = Inventory(
        str(BIDS), config["fmriprep_dir"] or str(BIDS / "derivatives" / "fmriprep")
    )
else:
    if not BIDS.is_dir():
        raise WorkflowError(
            f"config bids_dir: {BIDS} does not exist (relative paths start in {os.getcwd()}); "
            "give the BIDS dataset's root folder"
        )
    try:
        INVENTORY = discover(
            BIDS,
            config["fmriprep_dir"],
            dti_sessions=(DTI["sessions"]["pre"], DTI["sessions"]["post"]),
            pe_dirs=tuple(DTI["phase_encoding_dirs"]),
            dti_groups=(DTI["groups"]["treatment"], DTI["groups"]["control"]),
            rs_sessions=(RS["sessions"]["active"], RS["sessions"]["placebo"]),
            rs_groups=(RS["groups"]["patient"], RS["groups"]["control"]),
            task=RS["task"],
            space=RS["space"],
            group_column=config["phenotype"]["participants"]["group"],
            dti_group_column=DTI["groups"]["column"],
            rs_group_column=RS["groups"]["column"],
            run=RS["run"],
            resolution=RS["resolution"],
            participant_label=config["participant_label"],
            exclude_participant_label=config["exclude_participant_label"],
        )
    except (OSError, ValueError) as err:
        raise WorkflowError(str(err))
    _problems = selection_problems(
        INVENTORY,
        fmriprep_dir_configured=bool(config["fmriprep_dir"]),
        task=RS["task"],
        space=RS["space"],
        participant_label=config["participant_label"],
        raw_bold=raw_has_bold(BIDS, RS["task"]),
    )
    if _problems:
        raise WorkflowError("\n".join(_problems))
SUBJECTS = INVENTORY.subjects
DTI_GROUP_COLUMN = (
    DTI["groups"]["column"] or config["phenotype"]["participants"]["group"]
)
RS_GROUP_COLUMN = RS["groups"]["column"] or config["phenotype"]["participants"]["group"]


def refuse_quotes_on_slurm():
    """Stop a SLURM run before its first job when a path Snakemake puts into each job's command
    has a quote: snakemake-executor-plugin-slurm (2.8.0) breaks the sbatch script on it, and
    every job would fail with "Unterminated quoted string". Spaces are fine; local runs take both.
    """
    plugin = workflow.executor_plugin
    if plugin is None or plugin.name != "slurm":
        return
    paths = [
        ("working directory", os.getcwd()),
        ("Snakefile", str(workflow.main_snakefile)),
    ]
    paths += [("config file", str(f)) for f in workflow.overwrite_configfiles]
    for what, path in paths:
        if set(path) & set("'\""):
            raise WorkflowError(
                f"{what} {path} has a quote in its path, which Snakemake's SLURM executor cannot pass "
                "to sbatch (each job would fail with 'Unterminated quoted string'); move it to a path "
                "without ' or \" (spaces are fine), or run it locally"
            )


wildcard_constraints:
    subject="[A-Za-z0-9]+",
    session="[A-Za-z0-9]+",


def deriv(relative):
    """A path inside the derivatives root (config output_dir)."""
    return str(OUT / relative)


def subject_file(suffix, ext, datatype=None, **entities):
    """A BIDS-named derivative of one subject: output_dir/sub-{subject}/[ses-.../]name."""
    return deriv(bids_path(suffix, ext, datatype=datatype, sub="{subject}", **entities))


def logs(rule, name):
    """The log file of one job: output_dir/logs/<rule>/<name>.log."""
    return str(OUT / "logs" / rule / f"{name}.log")


def benchmarks(rule, name):
    """Wall time, CPU time and peak memory of one job (Snakemake's benchmark TSV), beside its log:
    output_dir/benchmarks/<rule>/<name>.tsv; bench/rule_resources.py sums them up per rule.
    """
    return str(OUT / "benchmarks" / rule / f"{name}.tsv")


def rule_resources(key):
    """mem_mb (MB) and runtime (minutes) of a rule's jobs from config ``resources`` (threads apart)."""
    return {k: v for k, v in config["resources"][key].items() if k != "threads"}


def input_check_failures():
    """``{subject: sessions}`` that failed an input check (``n/a``: the subject's T1w), from the
    exclusions table of checkpoint collect_input_qc. Call it only inside input and params functions:
    until the checks have run it raises IncompleteCheckpointException, so Snakemake runs every
    subject's checks first and plans the rest from their result. A dry run cannot wait for them:
    it plans from the last run's table, or, before any run, every discovered session.
    """
    try:
        path = checkpoints.collect_input_qc.get().output.exclusions
    except IncompleteCheckpointException:
        if not workflow.dryrun:
            raise
        path = deriv("exclusions.tsv")
        if not Path(path).exists():
            return {}
    return _failures(path, Path(path).stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _failures(path, mtime_ns):
    """The table read once per version of the file (input functions ask for it per job)."""
    return failed_input_checks(path)


def subject_inputs(wildcards):
    """Every raw input file of a subject, by role (tracked so a changed file reruns its checks)."""
    return INVENTORY.subject_files(wildcards.subject)


def participants_table():
    path = BIDS / "participants.tsv"
    return [str(path)] if path.exists() else []


# --- clinical scores (phenotype.scores; the pre-0.3 phenotype.sessions is read as scores) -----
SCORES = score_specs(config["phenotype"])
if legacy_message(config["phenotype"]):
    print(legacy_message(config["phenotype"]), file=sys.stderr)


def referenced_scores():
    """``{config key: score name}`` of every analysis option that names a score, for the arms
    that have subjects (a DTI-only dataset need not define the rsfMRI arm's scores)."""
    refs = {}
    if INVENTORY.dti_subjects:
        refs.update(
            {f"dti.statistics.outcomes.{n}": n for n in DTI["statistics"]["outcomes"]}
        )
    if INVENTORY.rsfmri_subjects:
        followup = RS["followup"]
        refs["rsfmri.followup.crp.score"] = followup["crp"]["score"]
        refs.update({f"rsfmri.followup.symptoms.{n}": n for n in followup["symptoms"]})
    return refs


_problems = [
    f"config {key} names the score {name!r}, which phenotype.scores does not define "
    f"({', '.join(SCORES) or 'none'}); add it there with its table and column"
    for key, name in referenced_scores().items()
    if name not in SCORES
]
if not linting():
    _problems += check_score_specs(BIDS, SCORES)
if _problems:
    raise WorkflowError("\n".join(_problems))
SCORE_META = {} if linting() else score_metadata(BIDS, SCORES)


def score_label(name, label):
    """A score's display label, with its units where the table's JSON sidecar gives them."""
    return labelled(label, SCORE_META.get(name, {}))


def score_inputs():
    """The tables the analysed subjects' scores are read from (phenotype/*.tsv, sessions files)."""
    return score_tables(BIDS, SCORES, sessions_tables(BIDS, SUBJECTS))


# --- DTI arm ---------------------------------------------------------------------------------
DTI_PRE, DTI_POST = DTI["sessions"]["pre"], DTI["sessions"]["post"]
DTI_ENGINES = DTI["engines"]
DTI_RES = DTI["template_resolution_mm"]
DTI_SPACE = FSL.SPACE if DTI_ENGINES["registration"] == "fsl" else NATIVE_SPACE
if DTI_ENGINES["topup"] != DTI_ENGINES["eddy"]:
    raise WorkflowError(
        "config dti.engines: topup and eddy must use the same engine (FSL's eddy takes topup's "
        f"field; the native engine estimates both together), got topup: {DTI_ENGINES['topup']}, "
        f"eddy: {DTI_ENGINES['eddy']}"
    )


# participants.tsv columns the DTI arm reads: the group and the sensitivity covariates
DTI_PARTICIPANT_KEYS = ["group"] + [
    spec["column"]
    for spec in DTI["statistics"]["sensitivity"].values()
    if spec["source"] == "participants"
]


def dti_sessions(subject):
    """Sessions of a DTI subject that reach MNI space: the pre session is the anchor. A session
    that failed an input check, or a subject whose T1w did, is left out (input functions only).
    """
    failed = input_check_failures().get(subject, set())
    sessions = [
        s for s in INVENTORY.dwi.get(subject, {}) if not session_failed(failed, s)
    ]
    return (
        [s for s in (DTI_PRE, DTI_POST) if s in sessions] if DTI_PRE in sessions else []
    )


def dwi_series(wildcards):
    """Both phase-encoding series of one session (image, bval, bvec, JSON), by direction; a b0-only
    series (reverse-PE b0s in fmap/) has no bval or bvec."""
    series = INVENTORY.dwi[wildcards.subject][wildcards.session]
    return {
        f"{part}_{direction}": series[direction][part]
        for direction in DTI["phase_encoding_dirs"]
        for part in ("nii", "bval", "bvec", "json")
        if part in series[direction]
    }


def fsl_work(output):
    """The FSL engine's work-file prefix of a session (beside its outputs)."""
    return output.dwi.replace("_desc-preproc_dwi.nii.gz", "_fslwork")


def eddy_series(wildcards, output):
    """eddy's --imain: both series as merged for topup, or the one full DWI series when the other
    direction is a b0-only series in fmap/ (its b0s go to topup only)."""
    series = INVENTORY.dwi[wildcards.subject][wildcards.session]
    full = full_series(series)
    return (
        fsl_work(output) + "_merged"
        if len(full) == len(series)
        else series[full[0]]["nii"]
    )


def dti_session_targets(path):
    """``path`` (with {subject} and {session}) for every DTI subject and session."""
    return [
        path.format(subject=sub, session=ses)
        for sub in INVENTORY.dti_subjects
        for ses in dti_sessions(sub)
    ]


def dti_session_keys():
    """``[subject, session]`` of every DTI session, in the order of :func:`dti_session_targets`."""
    return [[sub, ses] for sub in INVENTORY.dti_subjects for ses in dti_sessions(sub)]


def dwi_correction_targets():
    """The native corrections' QC figures and outlier table (the FSL engine writes its own files)."""
    if DTI_ENGINES["eddy"] != "native" or not dti_session_keys():
        return []
    return [
        *dti_session_targets(rules.correct_dwi.output.field_figure),
        *dti_session_targets(rules.correct_dwi.output.motion_figure),
        rules.collect_dwi_outliers.output.table,
        rules.collect_dwi_outliers.output.html,
    ]


def dwi_file(suffix, ext, **entities):
    """A derivative of one DTI session: sub-{subject}/ses-{session}/dwi/<name>."""
    return subject_file(suffix, ext, datatype="dwi", ses="{session}", **entities)


def dwi_pre_file(suffix, ext, **entities):
    """A derivative of the subject's pre session (registration anchors)."""
    return subject_file(suffix, ext, datatype="dwi", ses=DTI_PRE, **entities)


def session_image(session, rule_output):
    """A session rule's output path for a fixed session, keeping the {subject} wildcard."""
    return rule_output.replace("{session}", session)


def native_chain(wildcards):
    """ANTs order: template side first; the post session adds its rigid to pre last."""
    chain = {
        "warp": rules.register_t1w_to_template.output.warp,
        "affine": rules.register_t1w_to_template.output.affine,
        "dwi_to_t1w": rules.register_dwi_to_t1w.output.xfm,
    }
    if wildcards.session == DTI_POST:
        chain["session"] = rules.register_sessions.output.xfm
    return {k: v.format(subject=wildcards.subject) for k, v in chain.items()}


def fsl_premat(wildcards):
    """FSL: the post session's flirt matrix goes in as applywarp --premat."""
    if wildcards.session == DTI_POST:
        return {
            "premat": rules.register_sessions.output.xfm.format(
                subject=wildcards.subject
            )
        }
    return {}


# FSL engine shell commands, with Snakemake placeholders for paths
FSL_TENSOR = FSL.dtifit_to_maps(
    "{input.dwi}",
    "{input.mask}",
    "{input.bval}",
    "{input.bvec}",
    "{params.prefix}",
    "{output.md}",
    "{output.fa}",
    "{output.ad}",
    "{output.rd}",
)


def fsl_image_version():
    """The FSL version of the pinned image (config containers.fsl, from its tag); eddy's command
    line follows it (eddy_openmp + OMP_NUM_THREADS before 6.0.6, eddy --nthr from 6.0.6).
    """
    try:
        return FSL.fsl_version(config["containers"]["fsl"])
    except ValueError as error:
        raise WorkflowError(str(error)) from None


# topup on the b0s of the merged series, eddy on {params.eddy_series} (the merged series, or the
# one full DWI series when the other is a b0-only fmap series); work files under {params.work}_*
# (removed at the end). Built only for the FSL engine, whose image must name its FSL version.
FSL_CORRECTIONS = (
    FSL.corrections(DTI["phase_encoding_dirs"], fsl_image_version())
    if DTI_ENGINES["eddy"] == "fsl"
    else None
)
FSL_FLIRT = FSL.flirt_rigid("{input.moving}", "{input.fixed}", "{output.xfm}")
FSL_REG = FSL.fsl_reg_fa("{input.fa}", "{params.prefix}")


# --- DTI arm, group level --------------------------------------------------------------------
DTI_ROIS = DTI["rois"]
DTI_STATS = {  # display names with the units the score tables' sidecars give
    **DTI["statistics"],
    "outcomes": {
        n: score_label(n, l) for n, l in DTI["statistics"]["outcomes"].items()
    },
}
DTI_OUTCOMES = list(DTI_STATS["outcomes"])
DTI_GRID = f"space-{DTI_SPACE}_res-{DTI_RES}"


def dti_group_file(name):
    """A group-level DTI table: output_dir/group/dti/<name>."""
    return deriv(f"group/dti/{name}")


def dti_reference_map(wildcards):
    """The MD map whose grid the ROI masks take (every MD map shares it; the first is used)."""
    return dti_session_targets(rules.warp_dti_to_template.output.md)[:1]


def dti_group_targets(*paths):
    """Group-level DTI outputs (``{roi}``/``{outcome}`` expanded), or none without DTI sessions."""
    if not dti_session_keys():
        return []
    return expand(list(paths), roi=list(DTI_ROIS), outcome=DTI_OUTCOMES)


# --- rsfMRI arm, subject level ---------------------------------------------------------------
RS_SESSIONS = [RS["sessions"]["active"], RS["sessions"]["placebo"]]
RS_ENGINES = RS["engines"]
# the AFNI version the AFNI engine's programs report (rule afni_version), in every converted sidecar
AFNI_VERSION = deriv("work/afni_version.txt")
RS_SEEDS = RS["seeds"]
RS_ROIS = {
    **RS_SEEDS["regions"],
    **RS_SEEDS["control"],
}  # label order: seeds, then controls
if set(RS_SEEDS["regions"]) & set(RS_SEEDS["control"]):
    raise WorkflowError(
        "config rsfmri.seeds: names in both regions and control: "
        f"{sorted(set(RS_SEEDS['regions']) & set(RS_SEEDS['control']))}; give each ROI one name"
    )
RS_GRID = f"space-{RS['space']}"
# The TR every BOLD run must have (s) and what says so: the config, or (repetition_time_s: null)
# the most common TR of the runs' sidecars; each run off it fails its input check with the reason.
RS_TR = (
    (RS["repetition_time_s"], "config rsfmri.repetition_time_s")
    if RS["repetition_time_s"] is not None
    else arm_tr(
        INVENTORY.bold[s][ses]["bold"]
        for s in INVENTORY.rsfmri_subjects
        for ses in INVENTORY.bold[s]
    )
)


def rs_sessions(subject):
    """Sessions of an rsfMRI subject with preprocessed BOLD that passed the input checks, in config
    order (input functions only)."""
    failed = input_check_failures().get(subject, set())
    return [
        s
        for s in RS_SESSIONS
        if s in INVENTORY.bold.get(subject, {}) and not session_failed(failed, s)
    ]


def rs_session_keys():
    """``(subject, session)`` of every rsfMRI session."""
    return [(sub, ses) for sub in INVENTORY.rsfmri_subjects for ses in rs_sessions(sub)]


def rs_session_targets(*paths):
    """``paths`` (with {subject} and {session}) for every rsfMRI session."""
    return [
        p.format(subject=sub, session=ses)
        for sub, ses in rs_session_keys()
        for p in paths
    ]


def bold_inputs(wildcards):
    """The session's preprocessed BOLD, and fMRIPrep's brain mask when there is one."""
    parts = INVENTORY.bold[wildcards.subject][wildcards.session]
    return {k: parts[k] for k in ("bold", "mask") if k in parts}


def rs_reference_bold(wildcards):
    """The BOLD whose grid the ROI label map takes (all sessions must share it)."""
    keys = rs_session_keys()
    return [INVENTORY.bold[keys[0][0]][keys[0][1]]["bold"]] if keys else []


def func_file(suffix, ext, **entities):
    """A derivative of one rsfMRI session: sub-{subject}/ses-{session}/func/<name>."""
    return subject_file(
        suffix, ext, datatype="func", ses="{session}", task=RS["task"], **entities
    )


def seed_map_files(wildcards=None):
    """The Fisher-z map of every ROI of one session ({subject}/{session} kept)."""
    return [
        func_file("boldmap", ".nii.gz", space=RS["space"], roi=roi, stat="z")
        for roi in RS_ROIS
    ]


def rs_sample_session():
    """The sample subject and session whose seed maps are drawn for the report (the first)."""
    keys = rs_session_keys()
    return keys[:1]


def rs_subject_targets():
    """Every session's z maps, ROI table, censoring outputs; the ROI figure; sample seed maps."""
    if not rs_session_keys():
        return []
    sessions = rs_session_targets(
        *seed_map_files(),
        rules.seed_maps.output.netcc,
        rules.denoise_bold.output.censoring,
        rules.denoise_bold.output.fd_figure,
    )
    sample = [
        path.format(subject=sub, session=ses)
        for sub, ses in rs_sample_session()
        for path in rules.plot_seed_maps.output.figures
    ]
    return [rules.make_seed_rois.output.figure, *sessions, *sample]


# --- rsfMRI arm, group level -----------------------------------------------------------------
RS_GROUP = RS["group_model"]
RS_SEED_NAMES = list(RS_SEEDS["regions"])
RS_FORMULAS = {
    seed: RS_GROUP["seed_formulas"].get(seed, RS_GROUP["formula"])
    for seed in RS_SEED_NAMES
}
if set(RS_GROUP["seed_formulas"]) - set(RS_SEED_NAMES):
    raise WorkflowError(
        "config rsfmri.group_model.seed_formulas names "
        f"{sorted(set(RS_GROUP['seed_formulas']) - set(RS_SEED_NAMES))}, not seeds in rsfmri.seeds.regions"
    )
try:
    RS_VARIABLES = {seed: formula_variables(f) for seed, f in RS_FORMULAS.items()}
except ValueError as err:
    raise WorkflowError(f"config rsfmri.group_model: {err}")
for _seed, _formula in RS_FORMULAS.items():
    if RS_GROUP["term"] not in model_terms(_formula):
        raise WorkflowError(
            f"config rsfmri.group_model.term {RS_GROUP['term']!r} is not a term of seed {_seed}'s formula "
            f"{_formula!r} (terms: {', '.join(model_terms(_formula))}); write it as R names it"
        )


RS_CLUSTERS = RS["clusters"]
CLUSTSIM_PTHR = sorted({*RS_CLUSTERS["table_pthr"], RS_CLUSTERS["pthr"]}, reverse=True)
CLUSTSIM_ATHR = sorted(
    {*RS_CLUSTERS["table_alpha"], RS_CLUSTERS["alpha"]}, reverse=True
)


RS_FOLLOWUP = {  # labels with the units the score tables' sidecars give
    **RS["followup"],
    "crp": {
        **RS["followup"]["crp"],
        "label": score_label(
            RS["followup"]["crp"]["score"], RS["followup"]["crp"]["label"]
        ),
    },
    "symptoms": {n: score_label(n, l) for n, l in RS["followup"]["symptoms"].items()},
}
try:
    RS_FOLLOWUP_VARIABLES = formula_variables(RS_FOLLOWUP["formula"])
except ValueError as err:
    raise WorkflowError(f"config rsfmri.followup.formula: {err}")
for _key in RS_FOLLOWUP["figure_symptoms"]:
    if _key not in RS_FOLLOWUP["symptoms"]:
        raise WorkflowError(
            f"config rsfmri.followup.figure_symptoms names {_key!r}, not one of rsfmri.followup.symptoms "
            f"({', '.join(RS_FOLLOWUP['symptoms'])})"
        )


def rs_group_file(name):
    """A group-level rsfMRI output: output_dir/group/rsfmri/<name>."""
    return deriv(f"group/rsfmri/{name}")


def rs_seed_maps(wildcards):
    """The Fisher-z map of seed {seed} in every rsfMRI session, in rs_session_keys() order."""
    return rs_session_targets(
        func_file("boldmap", ".nii.gz", space=RS["space"], roi=wildcards.seed, stat="z")
    )


def rs_all_seed_maps(wildcards):
    """Every seed's Fisher-z maps, seed by seed (RS_SEED_NAMES), each in rs_session_keys() order."""
    return [
        path
        for seed in RS_SEED_NAMES
        for path in rs_seed_maps(SimpleNamespace(seed=seed))
    ]


def rs_group_targets(*paths):
    """Group-level rsfMRI outputs ({seed} expanded), or none without rsfMRI sessions."""
    if not rs_session_keys():
        return []
    return expand(list(paths), seed=RS_SEED_NAMES)


def followup_lme_outputs(name, subcategory, caption):
    """The three tables of an ROI mixed model (``desc-<name>_lme``), the ANOVA in the report."""
    return {
        "anova": followup_report(
            rs_group_file(f"desc-{name}_lme.tsv"),
            caption,
            subcategory,
            table="mixed model (Type III, Satterthwaite)",
        ),
        "coefficients": rs_group_file(f"desc-{name}_lme_coefficients.tsv"),
        "emmeans": rs_group_file(f"desc-{name}_lme_emmeans.tsv"),
    }


def followup_figure(key, figure, subcategory, caption):
    """``<key>_png`` (in the report) and ``<key>_svg`` of one follow-up figure."""
    return {
        f"{key}_png": followup_report(
            rs_group_file(f"figures/desc-{figure}.png"),
            caption,
            subcategory,
            figure=figure,
        ),
        f"{key}_svg": rs_group_file(f"figures/desc-{figure}.svg"),
    }


# --- everything --------------------------------------------------------------------------------
def all_targets(wildcards):
    """Everything the workflow makes. An input function: which subjects and sessions go on depends
    on the input checks (see input_check_failures in rules/common.smk)."""
    groups = [
        rules.write_dataset_description.output.description,
        rules.collect_input_qc.output.qc,
        rules.collect_input_qc.output.exclusions,
        rules.collect_input_qc.output.inventory,
        rules.provenance.output.page,
        dti_session_targets(rules.warp_dti_to_template.output.md),
        dti_session_targets(rules.plot_dti_qc.output.overlay),
        dti_session_targets(rules.plot_dti_qc.output.histogram),
        dwi_correction_targets(),
        dti_group_targets(
            rules.make_dti_rois.output.counts,
            rules.make_dti_rois.output.figure,
            rules.test_dti_groups.output.ttests,
            rules.fit_dti_models.output.table2,
            rules.fit_dti_models.output.table2_html,
            rules.fit_dti_models.output.sensitivity,
            rules.plot_dti_scatter.output.png,
            rules.plot_dti_scatter.output.svg,
        ),
        rs_subject_targets(),
        rs_group_targets(
            *LME_OUTPUTS.values(),
            rules.lme_table.output.afni_table,
            rules.plot_group_lme.output.figure,
            *CLUSTSIM_OUTPUTS,
            *rules.clusters.output,
            *rules.term_clusters.output,
            rules.plot_clusters.output.figure,
            rules.cluster_summary.output.summary,
            *rules.control_lme.output,
            *rules.crp_lme.output,
            *rules.followup_correlations.output,
            *rules.cluster_posthoc.output,
            *rules.plot_followup.output,
        ),
    ]
    return [p for g in groups for p in ([g] if isinstance(g, str) else g)]


# --- rsfMRI covariates (rsfmri.group_model.covariates, rsfmri.followup.covariates) -------------
from trialmri.lme.covariates import (
    quantitative_names,
    resolve_covariates,
    with_covariates,
)


def rs_covariates(where, specs):
    """The covariates of config ``where`` with their types (trialmri.lme.covariates), checked at
    parse time against participants.tsv: no clash with a model variable (subject, session, group,
    treatment, order), a column of participants.tsv. As params: dicts {column, type}."""
    from trialmri.tables import read_tsv

    tables = participants_table()
    if specs and not tables and not linting():
        raise WorkflowError(
            f"config {where}: covariates are participants.tsv columns; {BIDS} has none"
        )
    people = read_tsv(tables[0], text=True) if specs and tables else None
    try:
        return [vars(c) for c in resolve_covariates(specs, people, where)]
    except ValueError as err:
        raise WorkflowError(str(err))


RS_GROUP_COVARIATES = rs_covariates(
    "rsfmri.group_model.covariates", RS_GROUP["covariates"]
)
RS_FOLLOWUP_COVARIATES = rs_covariates(
    "rsfmri.followup.covariates", RS_FOLLOWUP["covariates"]
)


# --- short rules: a report entry, a job's log and benchmark names ------------------------------
# A rule's tail is `log: logs(rule, NAME)`, `benchmark: benchmarks(rule, NAME)` and
# `resources: **rule_resources(key)`, with NAME one of these (the job's wildcards in the file name):
SESSION_JOB = "sub-{subject}_ses-{session}"
SUBJECT_JOB = "sub-{subject}"
SEED_JOB = "roi-{seed}"
GROUP_JOB = "group"


def in_report(path, caption, category, subcategory=None, **labels):
    """``path`` as an entry of the Snakemake report: caption report/<caption> (reST), category and
    subcategory (the report's menu), ``labels`` (the columns of the report's table, in order;
    none: Snakemake's default, the file name)."""
    return report(
        path,
        caption=f"../report/{caption}",
        category=category,
        subcategory=subcategory,
        labels=labels or None,
    )


def session_report(desc, caption, category, subcategory, **labels):
    """A session's QC figure (figures/sub-X_ses-Y_desc-<desc>_qc.png) in the report, labelled by
    subject and session, then ``labels``."""
    path = subject_file("qc", ".png", datatype="figures", ses="{session}", desc=desc)
    return in_report(
        path,
        caption,
        category,
        subcategory,
        subject="{subject}",
        session="{session}",
        **labels,
    )


def dti_group_report(name, caption, subcategory="Tables"):
    """A group-level DTI table (output_dir/group/dti/<name>) in the report's DTI group category."""
    return in_report(dti_group_file(name), caption, "DTI group", subcategory)


def rs_group_report(
    name, caption, subcategory, category="rsfMRI group level", **labels
):
    """A group-level rsfMRI output (output_dir/group/rsfmri/<name>) in the report."""
    return in_report(rs_group_file(name), caption, category, subcategory, **labels)


def followup_report(path, caption, subcategory, **labels):
    """An ROI follow-up output (table, figure) in the report's rsfMRI ROI follow-ups."""
    return in_report(path, caption, "rsfMRI ROI follow-ups", subcategory, **labels)


# --- helpers of single rules (rules/*.smk keep rules only: snakemake --lint) --------------------
def anat_xfm(ext):
    """The subject's T1w -> template transform: ANTs affine (.mat) or SyN warp (.nii.gz)."""
    return subject_file(
        "xfm", ext, datatype="anat", to=DTI_SPACE, mode="image", **{"from": "T1w"}
    )


def fsl_applywarp(param):
    """FSL: the applywarp command of map ``param`` (md, fa) into the template (params function);
    the post session's flirt matrix goes in as --premat."""
    return lambda wildcards, input, output: FSL.applywarp(
        getattr(input, param),
        input.warp,
        getattr(output, param),
        DTI_RES,
        input.get("premat"),
    )


def fsl_warp_sidecar(wildcards, input):
    """FSL: the warped maps' JSON sidecar (one line, written by echo)."""
    return FSL.sidecar_json(config["containers"]["fsl"], input)


def dti_roi_report(path):
    """An output of make_dti_rois (voxel counts, figure) in the report's DTI group ROIs."""
    return in_report(path, "dti_rois.rst", "DTI group", "ROIs")


def seeds_report(path):
    """An output of make_seed_rois (ROI table, figure) in the report's rsfMRI seeds."""
    return in_report(path, "rs_seeds.rst", "rsfMRI subject level", "seeds")


def clusters_report(path, caption, seed="{seed}", **labels):
    """A cluster output (table, figure, summary) in the report's rsfMRI group level clusters,
    labelled by seed (a seed's job: its wildcard), then ``labels``."""
    return in_report(
        path, caption, "rsfMRI group level", "clusters", seed=seed, **labels
    )


def session_outlier_tables(wildcards):
    """Every DTI session's outlier-slice table, in dti_session_keys() order."""
    return dti_session_targets(rules.correct_dwi.output.outliers)
