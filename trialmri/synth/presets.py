"""Sizes of the synthetic trials: ``tiny`` for demos and tests, ``study`` for the studies' own,
``study-n`` for the studies' sample sizes at the tiny preset's geometry (group statistics at the
study's n in minutes rather than hours).

Study dimensions come from the source papers (SPEC.md): DTI 2 mm, 104 x 104 x 72, 4 b0 + 30
directions at b = 1000, 67 ketamine + 31 vehicle; rsfMRI 3.75 x 3.75 x 3.5 mm, TR 2.5 s, 8 min,
27 TRD + 19 HV with 2 TRD and 1 HV placebo scans missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

BRAIN_CENTRE_MNI = (0.0, -18.0, 12.0)  # MNI mm; the synthetic head's grids are centred here


@dataclass(frozen=True)
class Distortions:
    """Which acquisition artefacts the DWI series carry (all recorded in truth.json)."""

    susceptibility: bool = True
    motion: bool = True
    eddy: bool = True
    noise: bool = True


@dataclass(frozen=True)
class Preset:
    name: str
    # DTI arm (parallel groups, sessions pre and post)
    dti_groups: dict = field(default_factory=lambda: {"ketamine": 5, "vehicle": 3})
    dwi_voxel_mm: float = 4.0
    dwi_shape: tuple = (48, 52, 34)
    # MNI mm point at the DWI grid's centre (the T1w grid stays centred on the brain): the brain's
    # centre gives whole-brain coverage; a short dwi_shape[2] about a lower point gives a slab
    dwi_centre_mni: tuple = BRAIN_CENTRE_MNI
    n_b0: int = 2
    n_directions: int = 12
    bval: float = 1000.0
    echo_spacing_s: float = 0.00049
    snr_b0: float = 30.0
    t1_voxel_mm: float = 2.0
    t1_shape: tuple = (88, 108, 88)
    truth_voxel_mm: float = 2.0
    # rsfMRI arm (crossover, sessions ketamine and placebo)
    rs_groups: dict = field(default_factory=lambda: {"HV": 4, "TRD": 4})
    rs_missing: dict = field(default_factory=lambda: {"TRD": 1, "HV": 0})
    bold_voxel_mm: tuple = (4.0, 4.0, 4.0)
    bold_volumes: int = 192  # 8 min at TR 2.5 s, as in the study
    tr_s: float = 2.5
    distortions: Distortions = Distortions()


PRESETS = {
    "tiny": Preset(name="tiny"),
    "study": Preset(
        name="study",
        dti_groups={"ketamine": 67, "vehicle": 31},
        dwi_voxel_mm=2.0,
        dwi_shape=(104, 104, 72),
        n_b0=4,
        n_directions=30,
        snr_b0=25.0,
        t1_voxel_mm=0.8,
        t1_shape=(216, 270, 216),
        rs_groups={"HV": 19, "TRD": 27},
        rs_missing={"TRD": 2, "HV": 1},
        bold_voxel_mm=(3.75, 3.75, 3.5),
        bold_volumes=192,
    ),
}
PRESETS["study-n"] = replace(
    PRESETS["tiny"],
    name="study-n",
    dti_groups=PRESETS["study"].dti_groups,
    rs_groups=PRESETS["study"].rs_groups,
    rs_missing=PRESETS["study"].rs_missing,
)


def get_preset(name: str, **overrides) -> Preset:
    """The named preset with any field replaced by ``overrides`` (None values are ignored)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
