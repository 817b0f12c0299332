"""The report's provenance page: what made these results (version, engine per step, config, inputs).

:func:`engine_table` lists each heavy step with the engine the config chose and its version: for
``native`` the trialmri version and the Python libraries that do the work, for ``fsl`` / ``afni``
the pinned container image. :func:`write_provenance_html` writes one self-contained HTML page
(no scripts, no external links) with that table, the config as run, the exclusions and the input
QC table, for Snakemake's report.
"""

from __future__ import annotations

import html
import platform

from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from trialmri import __version__

# step -> (config section, engine key, what the native engine uses, the study's program)
STEPS = [
    ("susceptibility field", "dti", "topup", ["numpy", "scipy"], "FSL topup"),
    ("motion and eddy currents", "dti", "eddy", ["numpy", "scipy"], "FSL eddy"),
    ("registration", "dti", "registration", ["antspyx"], "FSL flirt / fsl_reg"),
    ("diffusion tensor", "dti", "tensor", ["numpy"], "FSL dtifit --wls"),
    ("seed connectivity", "rsfmri", "netcorr", ["numpy", "nilearn"], "AFNI 3dNetCorr"),
    ("voxelwise mixed model", "rsfmri", "lme", ["numpy", "scipy"], "AFNI 3dLME"),
    ("residual smoothness", "rsfmri", "fwhmx", ["numpy", "scipy"], "AFNI 3dFWHMx -acf"),
    ("cluster-size simulation", "rsfmri", "clustsim", ["numpy", "scipy"], "AFNI 3dClustSim -acf"),
]
ALWAYS_NATIVE = [
    ("ROI statistics (DTI)", ["statsmodels", "scipy"], "SPSS / R"),
    ("ROI mixed models (rsfMRI)", ["statsmodels"], "SPSS MIXED / lmerTest"),
    ("denoising", ["nilearn"], "fMRIPrep confounds + signal.clean"),
]


def _versions(packages: list[str]) -> str:
    out = []
    for name in packages:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def engine_table(config: dict) -> pd.DataFrame:
    """One row per step: step, engine, program (what ran) and version (library versions or image)."""
    rows = []
    for step, section, key, packages, program in STEPS:
        engine = config[section]["engines"][key]
        if engine == "native":
            rows.append({"step": step, "engine": "native", "program": f"trialmri {__version__}",
                         "version": _versions(packages), "study's program": program})
        else:
            rows.append({"step": step, "engine": engine, "program": program,
                         "version": config["containers"][engine], "study's program": program})
    for step, packages, program in ALWAYS_NATIVE:
        rows.append({"step": step, "engine": "native", "program": f"trialmri {__version__}",
                     "version": _versions(packages), "study's program": program})
    return pd.DataFrame(rows)


def _table_html(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return frame.to_html(index=False, border=0, classes="t", na_rep="", escape=True)


def write_provenance_html(path, config: dict, exclusions: pd.DataFrame, input_qc: pd.DataFrame) -> None:
    """The provenance page: versions, engines, config (YAML), exclusions and input QC (failures first)."""
    failed = input_qc[input_qc["status"] != "pass"] if "status" in input_qc else input_qc
    qc_sorted = pd.concat([failed, input_qc.drop(failed.index)], ignore_index=True)
    environment = pd.DataFrame([
        {"item": "trialmri", "version": __version__},
        {"item": "snakemake", "version": _versions(["snakemake"]).split(" ", 1)[1]},
        {"item": "Python", "version": platform.python_version()},
        {"item": "platform", "version": platform.platform()},
    ])
    summary = (f"{input_qc['subject'].nunique() if 'subject' in input_qc else 0} subjects checked, "
               f"{len(input_qc)} checks, {len(failed)} failed; {len(exclusions)} exclusion rows")
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>trialmri provenance</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.15em; margin-top: 1.6em; }}
table.t {{ border-collapse: collapse; font-size: 0.9em; }}
table.t th, table.t td {{ border-bottom: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; }}
pre {{ background: #f5f5f5; padding: 0.8em; font-size: 0.85em; overflow-x: auto; }}
</style></head><body>
<h1>trialmri {html.escape(__version__)}: provenance of these results</h1>
<h2>Software</h2>
{_table_html(environment, "")}
<h2>Engine and version of each step</h2>
<p>native = trialmri's own Python engine (with the libraries listed); fsl / afni = the study's
program run in the pinned container image.</p>
{_table_html(engine_table(config), "")}
<h2>Exclusions</h2>
<p>Every subject or session a step could not use, and why (exclusions.tsv).</p>
{_table_html(exclusions, "No exclusions: every subject and session was used.")}
<h2>Input QC</h2>
<p>{html.escape(summary)} (input_qc.tsv; failed checks first).</p>
{_table_html(qc_sorted, "No input checks ran.")}
<h2>Configuration as run</h2>
<pre>{html.escape(yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=100))}</pre>
</body></html>
"""
    Path(path).write_text(body, encoding="utf-8")
