"""File level of the voxelwise LME (``trialmri lme``): a 3dLME-style data table of 3-D maps in,
a 4-D statistics image with a JSON volume list, residuals and a fit mask out.

Data table (TSV): one row per map; a subject column (named by ``random``), one column per model
variable, and ``InputFile`` (a path; relative paths are taken from the table's folder).

Outputs for prefix P (voxels not fitted hold 0, and 1 in p volumes):

- ``P_stats.nii.gz``: 4-D float32, volumes in the order of ``P_stats.json``'s ``volumes``:
  per term (R's labels, ``(Intercept)`` first) ``F`` then ``p`` with ``df_num``/``df_den``
  (nlme's marginal F, its denominator-df rule); per coefficient (R's names) ``estimate``, ``se``,
  ``t`` and ``p`` with ``df``; the variance of the subject intercept and of the residual; the REML
  log-likelihood;
- ``P_resid.nii.gz``: 4-D, one volume per table row, y - Xβ̂ - b̂ (nlme's default residuals);
- ``P_fitmask.nii.gz``: uint8, 0 outside ``--mask``, 1 fitted, 2 all NaN, 3 NaN in some rows,
  4 constant, 5 exact fit, 6 no AFNI output, 7 model not estimable (codes also in the JSON).

When the data cannot estimate the model at all (``NotEstimable``: too few rows, a one-level
factor, a confounded term), the workflow writes the same files with ``"fitted": false`` and the
reason (``write_not_estimable``) so that the other seeds and arms go on.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri import __version__
from trialmri.errors import InputError
from trialmri.image_inputs import FITMASK_DESCRIPTION, check_grid, read_image_values, read_mask
from trialmri.io import file_positions, save_masked_nifti, save_nifti
from trialmri.text_files import write_json
from trialmri.stats.formula import INTERCEPT, NotEstimable, build_design, parse_formula
from trialmri.lme.reml import REASONS, VoxelwiseFit, fit_voxels
from trialmri.table_inputs import read_table

INPUT_COLUMN = "InputFile"
ENGINE = "trialmri native (vectorized REML, nlme conventions)"
MASK_CODES = {0: "outside mask", **{code + 1: text for code, text in REASONS.items()}}
NO_AFNI_OUTPUT = 6  # inside the mask, 3dLME wrote zeros (its fit failed or the voxel is constant)
NOT_ESTIMABLE = 7  # the data cannot estimate the model at all (see the JSON's reason)
MASK_CODES |= {NO_AFNI_OUTPUT: "3dLME wrote zeros", NOT_ESTIMABLE: "model not estimable from these data"}


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
KEEP_FREED_BYTES = 256 << 20


def keep_freed_memory() -> None:
    """Let glibc keep freed blocks below 64 MiB for reuse (up to 256 MiB of them) instead of
    unmapping them: each map's 4 MiB buffer and the fit's per-chunk arrays then reuse pages instead
    of faulting new ones in (about 0.3 CPU s of 3 at 200,000 voxels x 89 maps). The process's
    results do not change; on other C libraries this does nothing."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, 64 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES)
    except (OSError, AttributeError):
        pass


def read_data_table(path, random: str = "subject", allow_empty: bool = False) -> pd.DataFrame:
    """The data table with ``InputFile`` resolved; errors name the table and the fix."""
    path = Path(path)
    table = read_table(path, "--table", dtype=str, keep_default_na=False, na_values=["", "n/a", "NA"])
    for column in (random, INPUT_COLUMN):
        if column not in table.columns:
            raise InputError(f"data table {path} has no {column!r} column (columns: "
                             f"{', '.join(table.columns)}); 3dLME layout: {random}, variables..., {INPUT_COLUMN}")
    if table.empty and not allow_empty:
        raise NotEstimable(f"data table {path} has no rows (no usable map)")
    table[INPUT_COLUMN] = [str(p if Path(p).is_absolute() else path.parent / p) for p in table[INPUT_COLUMN]]
    return table


def load_maps(paths, mask_path=None, mask_threshold=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maps (rows, in-mask voxels, in the order of ``volume[mask]``) float32, the 3-D mask and the
    affine; all maps on one grid. Every map is read whole and checked before any fitting."""
    first, grid = read_image_values(paths[0], "InputFile")
    if mask_path:
        mask = read_mask(mask_path, "--mask", grid, "the first map", paths[0], threshold=mask_threshold)[0]
    else:
        mask = np.ones(grid.shape[:3], bool)
    positions = file_positions(mask)
    Y = np.empty((len(paths), positions.size), np.float32)
    for row, p in enumerate(paths):
        data, img = (first, grid) if row == 0 else read_image_values(p, "InputFile")
        if len(img.shape) > 3 and np.prod(img.shape[3:]) != 1:
            raise InputError(f"InputFile {p}: shape {img.shape}; each row needs one 3-D map")
        check_grid(img, grid, "InputFile", p, "the first map", paths[0])
        values = data.reshape(-1, order="F")[positions]
        if not np.isfinite(values).any():
            raise InputError(f"InputFile {p} has no finite value inside the mask (an excluded session?); remove "
                             "its row")
        Y[row] = values
    return Y, mask, grid.affine


def check_model(table: pd.DataFrame, table_path, formula: str, random: str, quantitative=()) -> None:
    """The formula and options against the data table, before any map is read: fixed effects only
    (the maps are the response), every ``--qvars`` column named in the formula (a name that is not a
    column is reported by :func:`qvar_centers`)."""
    if "~" in formula:
        raise InputError(f"--formula {formula!r}: give the fixed effects only, e.g. "
                         f"{formula.split('~', 1)[1].strip()!r}; the maps in {INPUT_COLUMN} are the response")
    variables = {v for term in parse_formula(formula) for v in term}
    missing = sorted(variables - set(table.columns))
    if missing:
        raise InputError(f"--formula {formula!r} names {', '.join(missing)}, not a column of --table {table_path} "
                         f"(columns: {', '.join(map(str, table.columns))})")
    if random in variables:
        raise InputError(f"--formula {formula!r} names {random!r}, the --random column; drop it from the formula")
    for name in quantitative:
        if name in table.columns and name not in variables:
            raise InputError(f"--qvars {name}: not in --formula {formula!r}; add it to the formula or drop it "
                             "from --qvars")


def term_volumes(term: str, df_num, df_den) -> list[dict]:
    """The two volume entries of one term's F test, F then p (df may be None: not estimated)."""
    dfs = {"df_num": None if df_num is None else int(df_num), "df_den": None if df_den is None else int(df_den)}
    return [{"term": term, "stat": "F", **dfs}, {"term": term, "stat": "p", **dfs}]


def stat_volume(stats: np.ndarray, volumes: list[dict], **key) -> np.ndarray:
    """The volume of ``stats`` (x, y, z, volumes) whose entry in ``volumes`` (the sidecar's list)
    has ``key``; term tests (no ``coef``) unless a ``coef`` is asked for."""
    for i, vol in enumerate(volumes):
        if ("coef" in vol) == ("coef" in key) and all(vol.get(k) == v for k, v in key.items()):
            return stats[..., i]
    terms = [v["term"] for v in volumes if v.get("stat") == "F"]
    raise ValueError(f"no volume {key} in the statistics: term not in the model (terms: {terms})")


def term_sign(stats: np.ndarray, volumes: list[dict], term: str) -> np.ndarray | None:
    """Sign (+1, −1, 0) of the term's coefficient t where the term has one coefficient, else None."""
    coefs = [v["coef"] for v in volumes if v.get("term") == term and v.get("stat") == "t" and "coef" in v]
    if len(coefs) != 1:
        return None
    return np.sign(stat_volume(stats, volumes, coef=coefs[0], stat="t"))


def stats_volumes(fit: VoxelwiseFit, random: str) -> list[tuple[dict, np.ndarray, float]]:
    """(description, values over fitted voxels, fill value for unfitted voxels) per output volume."""
    d = fit.design
    vols = []
    for t, term in enumerate(d.terms):
        f_vol, p_vol = term_volumes(term, fit.num_df[t], fit.den_df[t])
        vols += [(f_vol, fit.F[t], 0.0), (p_vol, fit.p[t], 1.0)]
    for j, coef in enumerate(d.columns):
        term = d.terms[d.assign[j]]
        df = int(fit.column_df[j])
        vols.append(({"coef": coef, "term": term, "stat": "estimate"}, fit.beta[j], 0.0))
        vols.append(({"coef": coef, "term": term, "stat": "se"}, fit.se[j], 0.0))
        vols.append(({"coef": coef, "term": term, "stat": "t", "df": df}, fit.t[j], 0.0))
        vols.append(({"coef": coef, "term": term, "stat": "p", "df": df}, fit.p_t[j], 1.0))
    vols.append(({"term": random, "stat": "variance"}, fit.var_subject, 0.0))
    vols.append(({"term": "Residual", "stat": "variance"}, fit.var_resid, 0.0))
    vols.append(({"stat": "loglik", "method": "REML"}, fit.loglik, 0.0))
    return vols


def stats_values(fit: VoxelwiseFit, vols: list[tuple[dict, np.ndarray, float]]) -> np.ndarray:
    """(volumes, voxels) float32 of the statistics image inside the mask: each volume's values at
    fitted voxels, its fill value elsewhere (and where a value is not finite)."""
    fitted = fit.reason == 0
    out = np.empty((len(vols), fitted.size), np.float32)
    for row, (_, values, fill) in enumerate(vols):
        out[row] = np.where(fitted & np.isfinite(values), values, fill)
    return out


def write_outputs(fit: VoxelwiseFit, vols, mask: np.ndarray, affine: np.ndarray, prefix: str,
                  residuals: bool) -> None:
    """``prefix``_stats.nii.gz, _fitmask.nii.gz and (with ``residuals``) _resid.nii.gz, zero outside
    ``mask``; the statistics and residuals are written from their in-mask values
    (:func:`trialmri.io.save_masked_nifti`: the float values stored, the zeros deflated)."""
    save_masked_nifti(f"{prefix}_stats.nii.gz", stats_values(fit, vols), mask, affine, description="trialmri lme")
    fitmask = np.zeros(mask.shape, np.uint8)  # small and compressible: deflated whole
    fitmask[mask] = fit.reason + 1
    save_nifti(f"{prefix}_fitmask.nii.gz", fitmask, affine, dtype=np.uint8, description=FITMASK_DESCRIPTION)
    if residuals:
        save_masked_nifti(f"{prefix}_resid.nii.gz", fit.resid, mask, affine, fill=0.0)


def qvar_centers(table: pd.DataFrame, table_path, quantitative, centers=None) -> dict:
    """{variable: centre} of the quantitative variables (3dLME's ``-qVars``/``-qVarCenters``):
    ``centers`` in their order, else None (the mean over the table's rows, 3dLME's default).
    A variable that is not a column of the table is an error naming it and the columns."""
    for name in quantitative:
        if name not in table.columns:
            raise ValueError(f"--qvars names {name!r}, not a column of the data table {table_path} (columns: "
                             f"{', '.join(map(str, table.columns))})")
    if centers is None:
        return dict.fromkeys(quantitative)
    if len(centers) != len(quantitative):
        raise ValueError(f"--qvar-centers gives {len(centers)} centre(s) for {len(quantitative)} --qvars "
                         f"variable(s) ({', '.join(quantitative) or 'none'}); give one per variable, in order")
    return dict(zip(quantitative, centers))


def run_lme_files(table_path, formula: str, random: str, out_prefix: str, mask_path=None,
                  quantitative=(), residuals: bool = True, progress: bool = False, centers=None,
                  mask_threshold=None) -> dict:
    """Fit the data table's maps and write the outputs; returns the JSON it wrote. Quantitative
    variables are centred at ``centers`` (one per variable) or, by default, at their mean over the
    table's rows, as 3dLME centres ``-qVars``."""
    keep_freed_memory()
    table = read_data_table(table_path, random)
    check_model(table, table_path, formula, random, quantitative)
    design = build_design(table, formula, quantitative, qvar_centers(table, table_path, quantitative, centers))
    Y, mask, affine = load_maps(list(table[INPUT_COLUMN]), mask_path, mask_threshold)
    fit = fit_voxels(Y, design, table[random].to_numpy(), residuals=residuals, progress=progress)
    vols = stats_volumes(fit, random)
    prefix = str(out_prefix)
    write_outputs(fit, vols, mask, affine, prefix, residuals)
    subjects = table[random].nunique()
    meta = {
        "fitted": True,
        "engine": ENGINE,
        "version": __version__,
        "formula": formula,
        "random": f"~1|{random}",
        "contrasts": "contr.sum",
        "method": "REML",
        "anova_type": "marginal",
        "table": str(table_path),
        "n_rows": len(table),
        "n_subjects": int(subjects),
        "levels": design.levels,
        "quantitative": list(quantitative),
        "qvar_centers": design.centers,
        "voxels": {MASK_CODES[code + 1]: n for code, n in
                   zip(REASONS, [int(np.sum(fit.reason == c)) for c in REASONS])},
        "voxels_boundary": int(np.sum(fit.boundary & (fit.reason == 0))),
        "fitmask_codes": _codes(),
        "residuals": f"{prefix}_resid.nii.gz" if residuals else None,
        "residual_rows": [Path(p).name for p in table[INPUT_COLUMN]],
        "volumes": [desc for desc, _, _ in vols],
    }
    write_json(f"{prefix}_stats.json", meta)
    return meta


def _codes() -> dict[str, str]:
    return {str(k): v for k, v in MASK_CODES.items()}


def write_not_estimable(table_path, formula: str, random: str, out_prefix: str, mask_path, reason: str) -> dict:
    """The output files of a model the data cannot estimate: F 0 and p 1 for every term of the
    formula (no df), fit mask coded 7 inside the mask, zero residuals; the JSON says why."""
    table = read_data_table(table_path, random, allow_empty=True)
    img = nib.load(mask_path)
    mask = np.asarray(img.dataobj) > 0
    terms = [INTERCEPT] + [":".join(t) for t in parse_formula(formula)]
    volumes = [vol for t in terms for vol in term_volumes(t, None, None)]
    stack = np.zeros(mask.shape + (len(volumes),), np.float32)
    stack[..., 1::2] = 1.0
    prefix = str(out_prefix)
    save_nifti(f"{prefix}_stats.nii.gz", stack, img.affine, description="trialmri lme: not estimable")
    save_nifti(f"{prefix}_fitmask.nii.gz", np.where(mask, NOT_ESTIMABLE, 0), img.affine, dtype=np.uint8,
               description=FITMASK_DESCRIPTION)
    save_nifti(f"{prefix}_resid.nii.gz", np.zeros(mask.shape + (len(table),), np.float32), img.affine)
    meta = {"fitted": False, "reason": reason, "engine": ENGINE, "version": __version__, "formula": formula,
            "random": f"~1|{random}", "table": str(table_path), "n_rows": len(table),
            "n_subjects": int(table[random].nunique()), "fitmask_codes": _codes(), "volumes": volumes}
    write_json(f"{prefix}_stats.json", meta)
    return meta
