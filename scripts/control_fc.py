"""Snakemake glue: mean Fisher z of every seed map inside each control ROI (V1), per session."""

from trialmri.fc.followup import fc_table
from trialmri.fc.roi_values import load_labels
from trialmri.tables import read_tsv, write_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    sessions = read_tsv(i.sessions)
    mask, affine = load_labels(i.mask)
    labels, _ = load_labels(i.labels, affine, mask.shape)
    seeds_table = read_tsv(i.table)
    index = dict(zip(seeds_table["name"], seeds_table["index"]))
    rois = {}
    usable = bool((mask > 0).any())  # an empty group mask: no usable session (see the sessions table)
    for roi in p.controls if usable else []:
        rois[roi] = (labels == int(index[roi])) & (mask > 0)
        if not rois[roi].any():
            raise ValueError(f"control ROI {roi} has no voxel inside the group mask {i.mask}; move its centres "
                             "(config rsfmri.seeds.control) into the brain")
    n = len(sessions)
    maps = {seed: list(i.maps[k * n:(k + 1) * n]) for k, seed in enumerate(p.seeds)}
    table = fc_table(sessions, maps, {seed: rois for seed in p.seeds})
    write_tsv(snakemake.output.table, table)
    if not usable:
        print(f"no rsfMRI session is usable (see {i.sessions}); the table has no rows")
    print(f"{len(table)} rows: {table.subject.nunique()} subjects x seeds {', '.join(p.seeds)} x ROIs "
          f"{', '.join(rois)} ({', '.join(f'{k} {int(v.sum())} voxels' for k, v in rois.items())})")
