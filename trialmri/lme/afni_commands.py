"""AFNI engine of the voxelwise LME: the ``3dLME`` command line (standard library only: the workflow
builds it at parse time).

nipype has no 3dLME interface, so the argument list is written here from 3dLME's help:
``3dLME -prefix P -jobs J -model MODEL -ranEff '~1' -SS_type 3 -mask M -resid R
[-qVars a,b [-qVarCenters ca,cb]] -dataTable @TABLE``. ``-SS_type 3`` is ``anova(fit, type =
"marginal")``; 3dLME sets ``contr.sum`` itself. ``-dataTable @file`` reads the table from a file: a
header line ``Subj <variables...> InputFile``, then one whitespace-separated row per map.

Covariates: quantitative ones are ``-qVars``; categorical ones are factors, in the model and the
table only. Without ``-qVarCenters`` 3dLME centres each ``-qVars`` variable at its mean over the
data-table rows (3dLME.R lines 1464-1466, ``scale(lop$dataStr[,lop$QV], center=TRUE,
scale=F)``), which is what the native engine does by default (``trialmri.lme.covariates``); the
workflow relies on that default, as the centre depends on which sessions enter.

The data table and 3dLME's outputs (pandas, nibabel): :mod:`trialmri.lme.afni_outputs`.
"""

from __future__ import annotations

from trialmri.shell_words import join_words


def lme_argv(prefix: str, table_file: str, model: str, mask: str, resid: str, jobs: str = "1",
             qvars=(), qvar_centers=None) -> list[str]:
    """3dLME's argument list (any argument may be a Snakemake placeholder). ``qvar_centers``: one
    centre per ``qvars`` variable (``-qVarCenters``); None leaves 3dLME's default, the mean."""
    argv = ["3dLME", "-prefix", prefix, "-jobs", str(jobs), "-model", model.replace(" ", ""),
            "-ranEff", "~1", "-SS_type", "3", "-mask", mask, "-resid", resid]
    if qvars:
        argv += ["-qVars", ",".join(qvars)]
    if qvar_centers is not None:
        if len(qvar_centers) != len(qvars):
            raise ValueError(f"-qVarCenters needs one centre per -qVars variable ({', '.join(qvars) or 'none'}), "
                             f"got {len(qvar_centers)}")
        argv += ["-qVarCenters", ",".join(repr(float(c)) for c in qvar_centers)]  # exact, shortest
    return argv + ["-dataTable", f"@{table_file}"]


def lme_command(prefix: str, table_file: str, model: str, mask: str, resid: str, jobs: str = "1",
                qvars=(), qvar_centers=None) -> str:
    """The 3dLME command line, shell-quoted; placeholders kept for Snakemake."""
    return join_words(lme_argv(prefix, table_file, model, mask, resid, jobs, qvars, qvar_centers))
