"""Snakemake glue: which rsfMRI sessions enter the group model (with reasons) and the group mask."""

import numpy as np

from trialmri.fc.group_sessions import group_mask, group_sessions
from trialmri.io import save_nifti
from trialmri.tables import read_tsv, write_tsv
from trialmri.lme.covariates import as_covariates
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    tables = list(snakemake.input.participants)  # [] when the dataset has no participants.tsv
    participants = read_tsv(tables[0]) if tables else None
    keys = [tuple(k) for k in snakemake.params.session_keys]
    covariates = as_covariates(getattr(snakemake.params, "covariates", []))
    sessions = group_sessions(keys, snakemake.input.sidecars, participants, snakemake.params.columns,
                              snakemake.params.groups, snakemake.params.needed, covariates)
    write_tsv(snakemake.output.sessions, sessions)
    used = sessions["used"].to_numpy(bool)
    masks = [m for m, ok in zip(snakemake.input.masks, used) if ok]
    if masks:
        mask, affine = group_mask(masks)
    else:  # the group model will say it has nothing to fit; the rest of the workflow goes on
        mask, affine = group_mask(snakemake.input.masks[:1])
        mask[:] = False
        print(f"no rsfMRI session is usable for the group model; see {snakemake.output.sessions} for each "
              "session's reason")
    save_nifti(snakemake.output.mask, mask.astype(np.uint8), affine, dtype=np.uint8)
    print(f"{used.sum()} of {len(used)} sessions in the group model "
          f"({sessions[used]['subject'].nunique()} subjects); group mask {int(mask.sum())} voxels")
    for row in sessions[~used].itertuples():
        print(f"  left out: sub-{row.subject} ses-{row.session}: {row.reason}")
    for cov in covariates:
        missing = sessions["reason"].str.startswith(f"covariate {cov.column!r} missing")
        print(f"covariate {cov.column} ({cov.type}): {int(missing.sum())} session(s) left out for a missing value")
