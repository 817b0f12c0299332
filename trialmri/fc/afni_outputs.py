"""AFNI engine of the seed-connectivity step: 3dNetCorr's outputs converted to ours (the native
engine's layout, ``netcorr_files.write_seed_maps``). The command line and the output names:
:mod:`trialmri.fc.afni_commands`.

``.netcc`` layout (``3dNetCorr.c`` since Sept 2014, as AFNI's Python matrix writer also lays it out)::

    # 3  # Number of network ROIs
    # 2  # Number of netcc matrices
    # WITH_ROI_LABELS
            001 	        002 	         003      <- label-table names, else %03d of the label
              1 	          2 	           3      <- integer labels (%10d)
    # CC
          1.0000	      0.2345	     -0.1000      <- %12.4f, tab-separated
    ...
    # FZ
          4.0000	      0.2389	     -0.1003      <- atanh(r), diagonal 4 (r capped)

Files from before Sept 2014 lack ``# WITH_ROI_LABELS`` and the name line and say ``# Number of
matrices``; ``-part_corr`` adds ``# PC`` and ``# PCB`` blocks. Both are read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from trialmri import __version__
from trialmri.fc.afni_commands import netcc_file, wb_z_file
from trialmri.fc.netcorr import netcc_table
from trialmri.fc.netcorr_files import label_names, write_excluded
from trialmri.io import save_nifti
from trialmri.tables import write_tsv
from trialmri.text_files import write_json


def _labels(words: list[str]) -> list:
    try:
        return [int(w) for w in words]
    except ValueError:
        return list(words)


def read_netcc(path) -> dict[str, pd.DataFrame]:
    """The matrices of an AFNI ``.netcc`` file by block name (``CC``, ``FZ``, ``PC``, ``PCB``...).

    Each is a DataFrame indexed and columned by the ROI labels of the integer line (kept as strings
    if that line is not all integers); the name line (``# WITH_ROI_LABELS``) is ``frame.attrs["names"]``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such .netcc file; check 3dNetCorr's -prefix and that it finished")
    n_roi = n_mat = None
    names = labels = None
    blocks: dict[str, list[list[float]]] = {}
    current = None
    expect_names = False
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}, line {number}"
        if line.startswith("#"):
            text = line.lstrip("#").strip()
            count = re.fullmatch(r"(\d+)\s*#\s*Number of (network ROIs?|.*matrices)", text)
            if count:
                if count.group(2).startswith("network"):
                    n_roi = int(count.group(1))
                else:
                    n_mat = int(count.group(1))
            elif text == "WITH_ROI_LABELS":
                expect_names = True
            elif labels is None:
                raise ValueError(f"{where}: matrix '{text}' before the ROI label line; "
                                 "not a 3dNetCorr .netcc file?")
            else:
                if text in blocks:
                    raise ValueError(f"{where}: matrix '{text}' appears twice; re-run 3dNetCorr")
                current = text
                blocks[current] = []
            continue
        words = line.split()
        if current is None:  # label lines come before the first matrix
            if expect_names and names is None:  # " %10s \t" each: names may hold spaces
                names = [w.strip() for w in raw.split("\t") if w.strip()]
            elif labels is None:
                labels = _labels(words)
            else:
                raise ValueError(f"{where}: numbers before any '# CC' matrix header; is the file truncated?")
            continue
        try:
            blocks[current].append([float(w) for w in words])
        except ValueError:
            raise ValueError(f"{where}: non-numeric value in matrix '{current}': {line[:60]!r}") from None
    if labels is None or n_roi is None:
        raise ValueError(f"{path}: no '# N  # Number of network ROIs' header or ROI label line; "
                         "not a 3dNetCorr .netcc file (or empty)")
    if len(labels) != n_roi or (names is not None and len(names) != n_roi):
        raise ValueError(f"{path}: header says {n_roi} ROIs but the label line has {len(labels)}; "
                         "the file is damaged, re-run 3dNetCorr")
    if not blocks or (n_mat is not None and len(blocks) != n_mat):
        raise ValueError(f"{path}: header says {n_mat} matrices, found {len(blocks)}; is the file truncated?")
    frames = {}
    for name, rows in blocks.items():
        if len(rows) != n_roi or any(len(r) != n_roi for r in rows):
            shape = f"{len(rows)} rows of {sorted({len(r) for r in rows})} values"
            raise ValueError(f"{path}: matrix '{name}' is not {n_roi} x {n_roi} ({shape}); "
                             "is the file truncated?")
        frame = pd.DataFrame(np.array(rows, dtype=np.float64), index=labels, columns=labels)
        if names is not None:
            frame.attrs["names"] = list(names)
        frames[name] = frame
    return frames


def convert_netcorr_outputs(prefix: str, names: dict[int, str], z_paths: dict[str, str], netcc_path) -> None:
    """3dNetCorr's outputs under ``prefix`` to ours: each ``WB_Z_ROI_<NNN>.nii.gz`` to the z path of
    its ROI name (``names``: integer label -> name; values kept, float32) and ``<prefix>_000.netcc``
    to the ROI x ROI table at ``netcc_path`` (r from CC, z from FZ, names in AFNI's label order)."""
    source = Path(netcc_file(prefix))
    if not source.exists():
        raise ValueError(f"{source}: 3dNetCorr's matrix file is missing; did 3dNetCorr run with "
                         f"-prefix {prefix} and finish?")
    matrices = read_netcc(source)
    missing = [m for m in ("CC", "FZ") if m not in matrices]
    if missing:
        raise ValueError(f"{source}: no {' or '.join(missing)} matrix; run 3dNetCorr with -fish_z")
    labels = list(matrices["CC"].index)
    unnamed = [lab for lab in labels if lab not in names]
    if unnamed:
        raise ValueError(f"{source}: ROI label(s) {unnamed} have no name in the ROI table "
                         f"(known labels {sorted(names)}); check the ROI map's .tsv")
    roi_names = [names[lab] for lab in labels]
    absent = [n for n in z_paths if n not in roi_names]
    if absent:
        raise ValueError(f"{source}: no ROI {absent} in 3dNetCorr's output (ROIs {roi_names}); "
                         "was the ROI empty inside the mask?")
    for label, name in zip(labels, roi_names):
        if name not in z_paths:
            continue
        wb = Path(wb_z_file(prefix, label))
        if not wb.exists():
            raise ValueError(f"{wb}: 3dNetCorr's Fisher-z map of ROI {name} (label {label}) is missing; "
                             "run 3dNetCorr with -ts_wb_Z -nifti")
        img = nib.load(wb)
        data = np.asarray(img.dataobj, dtype=np.float32)
        if data.ndim == 4 and data.shape[3] == 1:
            data = data[..., 0]
        save_nifti(z_paths[name], data, img.affine, np.float32,
                   description=f"AFNI 3dNetCorr -ts_wb_Z Fisher z, ROI {name}")
    write_tsv(netcc_path, netcc_table(roi_names, matrices["CC"].to_numpy(float), matrices["FZ"].to_numpy(float)))


def convert_netcorr_session(prefix: str, labels_path, rois, z_outputs, denoised_sidecar, mask_path, bold_path,
                            afni_version: str, container: str, netcc_out, sidecar_out) -> bool:
    """One session's 3dNetCorr outputs -> our z maps (``z_outputs``, one per name in ``rois``), ROI
    table ``netcc_out`` and sidecar ``sidecar_out`` (engine, version, container, command, sources).
    A session the denoising excluded (its sidecar's ``Excluded``; 3dNetCorr was not run) gets NaN
    maps instead. Returns whether it was excluded."""
    z_paths = dict(zip(rois, z_outputs))
    excluded = json.loads(Path(denoised_sidecar).read_text())["Excluded"]
    if excluded:
        write_excluded(list(z_paths), mask_path, z_paths, netcc_out)
    else:
        convert_netcorr_outputs(prefix, label_names(labels_path), z_paths, netcc_out)
    write_json(sidecar_out, {
        "Engine": "afni", "Version": afni_version, "ConvertedBy": f"trialmri {__version__}", "Container": container,
        "Command": "3dNetCorr -fish_z -ts_wb_Z -nifti", "Sources": [bold_path, labels_path], "Excluded": excluded})
    return bool(excluded)
