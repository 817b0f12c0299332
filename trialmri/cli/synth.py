"""trialmri synth: a synthetic trial written as a BIDS dataset, with its planted truth."""

from __future__ import annotations

import sys
from pathlib import Path

from trialmri.errors import InputError


def add(sub, common) -> None:
    p = sub.add_parser("synth", parents=[common],
                       help="write a synthetic trial as a BIDS dataset with truth.json",
                       description="Write a synthetic drug trial (DTI and rsfMRI arms) as a BIDS "
                                   "dataset, with every planted quantity in truth.json.")
    p.add_argument("--preset", choices=["tiny", "study", "study-n"], default="tiny",
                   help="tiny: 8+8 subjects at 4 mm (~1 min); study: the studies' sizes (~2 h, "
                        "~14 GB); study-n: the studies' 98+46 subjects at the tiny geometry (~12 min)")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    for name in ("susceptibility", "motion", "eddy", "noise"):
        p.add_argument(f"--no-{name}", action="store_true", help=f"switch off DWI {name}")
    p.add_argument("--clean", action="store_true", help="switch off all four DWI artefacts")
    p.set_defaults(func=run, outputs=outputs)


def outputs(args) -> dict[str, str]:
    """Output option -> the folder it writes in (checked writable before any computation)."""
    return {"--out": str(Path(args.out).absolute())}


def run(args) -> int:
    from trialmri.synth import Distortions, synthesize

    if args.seed < 0:
        raise InputError(f"--seed {args.seed}: give a whole number 0 or larger")
    off = {n: args.clean or getattr(args, f"no_{n}") for n in ("susceptibility", "motion", "eddy", "noise")}
    dist = Distortions(**{n: not v for n, v in off.items()})
    out = synthesize(args.out, args.preset, args.seed, dist, progress=sys.stderr.isatty())
    print(f"wrote {out} (preset {args.preset}, seed {args.seed}); planted truth in {out / 'truth.json'}")
    return 0
