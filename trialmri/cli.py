"""trialmri <program>: the native engines as command-line programs, as FSL and AFNI ship theirs.

Each program is a subcommand with its own ``--help``. Errors print one line naming the file and
the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from trialmri import __version__


def _add_synth(sub) -> None:
    p = sub.add_parser("synth", help="write a synthetic trial as a BIDS dataset with truth.json",
                       description="Write a synthetic drug trial (DTI and rsfMRI arms) as a BIDS "
                                   "dataset, with every planted quantity in truth.json.")
    p.add_argument("--preset", choices=["tiny", "study"], default="tiny",
                   help="tiny: 8+8 subjects at 4 mm (~1 min); study: the studies' sizes (~2 h, ~14 GB)")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes")
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    for name in ("susceptibility", "motion", "eddy", "noise"):
        p.add_argument(f"--no-{name}", action="store_true", help=f"switch off DWI {name}")
    p.add_argument("--clean", action="store_true", help="switch off all four DWI artefacts")
    p.set_defaults(func=_run_synth)


def _run_synth(args) -> int:
    from trialmri.synth import Distortions, synthesize

    off = {n: args.clean or getattr(args, f"no_{n}") for n in ("susceptibility", "motion", "eddy", "noise")}
    dist = Distortions(**{n: not v for n, v in off.items()})
    out = synthesize(args.out, args.preset, args.seed, dist, progress=sys.stderr.isatty())
    print(f"wrote {out} (preset {args.preset}, seed {args.seed}); planted truth in {out / 'truth.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trialmri", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"trialmri {__version__}")
    sub = parser.add_subparsers(dest="program", required=True, metavar="<program>")
    _add_synth(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileExistsError, FileNotFoundError, ValueError) as err:
        print(f"trialmri {args.program}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
