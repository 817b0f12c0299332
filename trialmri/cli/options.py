"""Option helpers shared by the programs: lists, and the parser whose errors are one line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def split_list(text: str) -> list[str]:
    """A comma-separated option value as its items."""
    return [v.strip() for v in text.split(",") if v.strip()]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def output_folders(args) -> dict[str, Path]:
    """Output option -> the folder it writes in, checked writable before any computation: the
    folder of ``--out-prefix`` or ``--out`` (a program whose output is a folder sets its own)."""
    if getattr(args, "out_prefix", None) is not None:
        return {"--out-prefix": Path(args.out_prefix).parent}
    return {"--out": Path(args.out).parent}


def add_mask_threshold(p) -> None:
    """``--mask-threshold T``: take a mask that is not 0/1 (a probability map) as the voxels above T."""
    p.add_argument("--mask-threshold", type=float, default=None, metavar="T",
                   help="use the voxels of --mask above T (for a mask that is not 0/1, e.g. a probability "
                        "map); without it --mask must be binary, or trialmri lme's fit mask (fitted = 1)")


def step_messages(program: str):
    """On a terminal, a ``progress(message)`` that prints each step of a long program to stderr;
    otherwise None (logs and pipes get the summary only)."""
    if not sys.stderr.isatty():
        return None

    def progress(message: str) -> None:
        print(f"trialmri {program}: {message}", file=sys.stderr, flush=True)

    return progress
