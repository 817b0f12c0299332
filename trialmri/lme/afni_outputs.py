"""AFNI engine of the voxelwise LME: the data table in 3dLME's ``-dataTable`` form (a header line
``Subj <variables...> InputFile``, then one whitespace-separated row per map), and 3dLME's outputs
converted to ours (``lme_files``' layout). The command line: :mod:`trialmri.lme.afni_commands`.

What 3dLME writes (from AFNI's ``src/R_scripts/3dLME.R``): one sub-brick per row of
``anova(fm)``, ``(Intercept)`` included, labelled ``paste(rowname, " F")`` (so ``"group:treatment
 F"`` with two spaces), stat type ``fift`` with (numDF, denDF) in ``BRICK_STATAUX``; ``-resid`` one
sub-brick per data-table row. Real 3dLME output (AFNI_26.2.03, 3dLME 2.2.0) is float32 and F is not
clipped (an intercept F of 2173 was written as is); 3dLME's ``tTop`` of 100 bounds t and Z values
only. In NIfTI output the labels and stat parameters travel in the AFNI header
extension (ecode 4, XML ``AFNI_atr`` elements ``BRICK_LABS``, ``~``-separated, and
``BRICK_STATAUX``: brick index, stat code (4 = F), parameter count, parameters, repeated).
"""

from __future__ import annotations

import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri import __version__
from trialmri.image_inputs import FITMASK_DESCRIPTION
from trialmri.io import save_nifti
from trialmri.text_files import write_json
from trialmri.lme.lme_files import (
    INPUT_COLUMN,
    MASK_CODES,
    NO_AFNI_OUTPUT,
    term_volumes,
)
from trialmri.lme.reml import f_sf

AFNI_SUBJECT = "Subj"
AFNI_ECODE = 4
F_STAT_CODE = 4


def afni_data_table(table: pd.DataFrame, random: str, variables: list[str], qvars=()) -> str:
    """The 3dLME ``-dataTable`` file text; ``InputFile`` paths as given. No value may hold spaces.
    Columns: ``random`` (as ``Subj``), ``variables``, the table's other columns (covariates), ``InputFile``.

    Every variable but ``qvars`` is a factor. 3dLME takes a column of numbers for a quantitative
    variable whatever -qVars says (real 3dLME on group labels 1/2: "group Quantitative ... ?
    categorical ?", a different model from the factor's), so a factor whose values look like
    numbers is written with its column name in front (``group_1``); F does not depend on level names.
    """
    others = [c for c in table.columns if c not in (random, *variables, INPUT_COLUMN)]
    variables = [*variables, *others]
    columns = [random, *variables, INPUT_COLUMN]
    out = table[columns].astype(str)
    for col in variables:
        if col not in qvars and pd.to_numeric(out[col], errors="coerce").notna().any():
            out[col] = f"{col}_" + out[col]
    for col in columns:
        bad = out[col][out[col].str.contains(r"\s|'|\"", regex=True)]
        if not bad.empty:
            raise ValueError(f"3dLME data table: {col} value {bad.iloc[0]!r} holds a space or quote, which "
                             "3dLME's table reader splits on; rename it")
    lines = ["\t".join([AFNI_SUBJECT, *variables, INPUT_COLUMN])]
    lines += ["\t".join(row) for row in out.itertuples(index=False, name=None)]
    return "\n".join(lines) + "\n"


def read_afni_extension(img: nib.Nifti1Image) -> tuple[list[str], dict[int, tuple[int, list[float]]]]:
    """Sub-brick labels and stat parameters {brick: (stat code, params)} from the AFNI extension."""
    content = None
    for ext in img.header.extensions:
        if ext.get_code() == AFNI_ECODE:
            content = ext.get_content()
            content = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    if content is None:
        raise ValueError("no AFNI header extension (labels and degrees of freedom); write 3dLME's output "
                         "as NIfTI with AFNI's extension (the default; AFNI_NIFTI_NOEXT unset)")

    def attribute(name):
        m = re.search(r'<AFNI_atr[^>]*atr_name="%s"[^>]*>(.*?)</AFNI_atr>' % name, content, re.S)
        return m.group(1).strip() if m else None

    labs = attribute("BRICK_LABS")
    if labs is None:
        raise ValueError("the AFNI extension has no BRICK_LABS")
    labels = labs.strip().strip('"').split("~")
    statpar: dict[int, tuple[int, list[float]]] = {}
    aux = attribute("BRICK_STATAUX")
    if aux:
        values = [float(v) for v in aux.split()]
        i = 0
        while i + 2 < len(values):
            brick, code, npar = int(values[i]), int(values[i + 1]), int(values[i + 2])
            statpar[brick] = (code, values[i + 3:i + 3 + npar])
            i += 3 + npar
    return labels, statpar


def _bricks(img: nib.Nifti1Image) -> np.ndarray:
    """An AFNI bucket's sub-bricks as (x, y, z, bricks) float32 (AFNI writes x, y, z, 1, bricks)."""
    data = np.asarray(img.get_fdata(dtype=np.float32))
    if data.ndim == 5:
        data = data[:, :, :, 0, :]
    return data[..., None] if data.ndim == 3 else data


def read_afni_data_table(path) -> pd.DataFrame:
    """A 3dLME ``-dataTable`` file (whitespace-separated, header ``Subj ... InputFile``) as text columns."""
    table = pd.read_csv(path, sep=r"\s+", dtype=str, engine="python")
    missing = [c for c in (AFNI_SUBJECT, INPUT_COLUMN) if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: not a 3dLME data table (no {' or '.join(missing)} column)")
    return table


def data_table_summary(path, qvars=()) -> dict:
    """What the native engine's sidecar says of its table, from a 3dLME data table: ``n_rows``,
    ``n_subjects``, ``levels`` of each factor (sorted, as R orders them), ``quantitative``."""
    table = read_afni_data_table(path)
    factors = [c for c in table.columns if c not in (AFNI_SUBJECT, INPUT_COLUMN, *qvars)]
    return {"table": str(path), "n_rows": len(table), "n_subjects": int(table[AFNI_SUBJECT].nunique()),
            "levels": {c: sorted(table[c].unique()) for c in factors}, "quantitative": list(qvars)}


def convert_lme_outputs(stats_path, resid_path, mask_path, out_prefix: str, container: str = "",
                        table_path=None, model: str = "", qvars=(), afni_version: str = "") -> dict:
    """3dLME's F bucket and residuals -> ``P_stats.nii.gz`` (F and p per term), ``P_stats.json``,
    ``P_resid.nii.gz``, ``P_fitmask.nii.gz``, the native engine's layout. ``table_path``: the
    ``-dataTable`` file (rows, subjects and levels go into the sidecar); ``afni_version``: e.g.
    ``AFNI_26.2.03``, as the AFNI programs that ran report it."""
    img = nib.load(stats_path)
    labels, statpar = read_afni_extension(img)
    data = _bricks(img)
    mask = np.asarray(nib.load(mask_path).dataobj) > 0
    volumes, arrays = [], []
    for brick, label in enumerate(labels):
        if not label.rstrip().endswith(" F"):
            continue
        code, params = statpar.get(brick, (None, []))
        if code != F_STAT_CODE or len(params) != 2:
            raise ValueError(f"{stats_path}: sub-brick {brick} ({label!r}) has no F degrees of freedom")
        term = label.rstrip()[:-2].strip()
        f = data[..., brick]
        volumes += term_volumes(term, *params)
        arrays += [np.where(mask, f, 0.0), np.where(mask, f_sf(f, *params), 1.0)]
    if not volumes:
        raise ValueError(f"{stats_path}: no F sub-brick among labels {labels}")
    prefix = str(out_prefix)
    save_nifti(f"{prefix}_stats.nii.gz", np.stack(arrays, axis=-1), img.affine, description="3dLME")
    fitted = mask & np.any(data != 0, axis=-1)
    fitmask = np.where(mask, np.where(fitted, 1, NO_AFNI_OUTPUT), 0)
    save_nifti(f"{prefix}_fitmask.nii.gz", fitmask, img.affine, dtype=np.uint8, description=FITMASK_DESCRIPTION)
    resid = nib.load(resid_path)
    save_nifti(f"{prefix}_resid.nii.gz", _bricks(resid), resid.affine)
    meta = {"engine": "AFNI 3dLME", "version": afni_version, "container": container,
            "converted_by": f"trialmri {__version__}", "formula": model, "random": "~1|Subj",
            "method": "REML (nlme::lme)", "anova_type": "marginal", "contrasts": "contr.sum",
            **(data_table_summary(table_path, qvars) if table_path is not None else {}),
            "source": str(Path(stats_path).name), "fitted": True,
            "voxels": {"fitted": int(fitted.sum()), "3dLME wrote zeros": int((mask & ~fitted).sum())},
            "fitmask_codes": {str(k): MASK_CODES[k] for k in (0, 1, NO_AFNI_OUTPUT)},
            "note": "3dLME writes F per term only; p is computed here from F and its degrees of "
                    "freedom; no coefficient or variance volumes",
            "volumes": volumes}
    write_json(f"{prefix}_stats.json", meta)
    return meta
