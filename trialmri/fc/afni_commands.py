"""AFNI engine of the seed-connectivity step: the ``3dNetCorr -fish_z -ts_wb_Z -nifti`` command
line and the names of its outputs (standard library only: the workflow builds it at parse time).

Command line: the argument list nipype's ``afni.NetCorr`` builds for ``fish_z``, ``ts_wb_Z`` and
``nifti`` (nipype 1.11: ``-prefix`` first, then the options in its trait order), written out here.
Words are shell-quoted (shlex) except Snakemake placeholders, which stay as typed so Snakemake
fills them in.

What ``3dNetCorr -prefix P -fish_z -ts_wb_Z -nifti`` writes, for ROI-map sub-brick (network) 0 —
from AFNI's source, ``src/ptaylor/3dNetCorr.c`` (``sprintf(OUT_grid,"%s_%03d.netcc",prefix,k)``),
``WB_netw_corr`` in AFNI's rsfc library (``src/rsfc.c``, via ``rsfc.h``)
(``sprintf(OUT_indiv0,"%s_%03d_INDIV",prefix,k)``;
``sprintf(roilab,"%03d",ROI_LABELS_REF[k][i+1])``; ``sprintf(OUT_indivZ,"%s/WB_Z_ROI_%s%s",
OUT_indiv0,roilab,ftype)`` with ``ftype = ".nii.gz"`` under ``-nifti``) and the 3dNetCorr help
("Files are labelled WB_Z_ROI_001+orig, etc."; "with the numbers given by the actual ROI integer
labels"):

- ``P_000.netcc``: text, the ROI x ROI matrices (layout: :mod:`trialmri.fc.afni_outputs`);
- ``P_000_INDIV/WB_Z_ROI_<NNN>.nii.gz``: one float map per ROI, NNN = the ROI's integer label value,
  zero-padded to 3 digits (``%03d``: 7 -> ``007``, 1001 -> ``1001``), 0 outside the mask;
  atanh(r) with |r| capped at 0.999329 (|z| <= 4). (``-ts_wb_strlabel``, not used, would put the
  label-table name in place of NNN.) The folder is made with a plain ``mkdir``: P's folder must exist;
- also ``P_000.roidat`` (voxel counts per ROI) and ``P_000.niml.dset`` (for SUMA), unused here.

Reading these outputs into ours: :mod:`trialmri.fc.afni_outputs`.
"""

from __future__ import annotations

from trialmri.shell_words import join_words

NETWORK = 0  # our ROI maps are 3-D: one network, AFNI's sub-brick 000


def netcorr_argv(inset: str, rois: str, mask: str, prefix: str) -> list[str]:
    """3dNetCorr's argument list, in the order nipype's ``afni.NetCorr`` writes it."""
    return ["3dNetCorr", "-prefix", str(prefix), "-fish_z", "-inset", str(inset), "-in_rois", str(rois),
            "-mask", str(mask), "-nifti", "-ts_wb_Z"]


def netcorr_command(inset: str, rois: str, mask: str, prefix: str) -> str:
    """``3dNetCorr -prefix P -fish_z -inset BOLD -in_rois ROIS -mask MASK -nifti -ts_wb_Z``.

    Writes ``P_000.netcc`` and ``P_000_INDIV/WB_Z_ROI_<label, %03d>.nii.gz`` (see module docstring).
    """
    return join_words(netcorr_argv(inset, rois, mask, prefix))


def netcc_file(prefix: str, network: int = NETWORK) -> str:
    """``<prefix>_000.netcc``: the ROI x ROI matrices of network (ROI sub-brick) ``network``."""
    return f"{prefix}_{network:03d}.netcc"


def wb_z_file(prefix: str, label: int, network: int = NETWORK) -> str:
    """``<prefix>_000_INDIV/WB_Z_ROI_<label %03d>.nii.gz``: the Fisher-z map of ROI ``label``."""
    return f"{prefix}_{network:03d}_INDIV/WB_Z_ROI_{int(label):03d}.nii.gz"
