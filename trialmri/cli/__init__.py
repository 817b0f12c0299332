"""trialmri <program>: the native engines as command-line programs, as FSL and AFNI ship theirs.

Each program is a subcommand with its own ``--help`` and one module here (``add`` builds its
options, ``run`` runs it; one whose output is a folder names it with ``outputs``).

The failure contract, the same for every program:

- a bad input (a missing, unreadable or corrupt file, wrong shape or grid, an option out of range)
  prints one line, ``trialmri <program>: error: <what is wrong, naming the file or option, and the
  fix>``, and exits with status 2; inputs are checked before any computation;
- an unexpected internal error prints one line (``internal error``) and exits with status 1; the
  traceback only with ``--debug``;
- the output folders are checked writable first, and outputs are renamed into place only when the
  whole program has succeeded (``trialmri.atomic``): a failed, interrupted or terminated run leaves
  no output file and never replaces an earlier one.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from pathlib import Path

from trialmri import __version__
from trialmri.atomic import all_or_nothing, check_writable
from trialmri.blas import use_one_blas_thread
from trialmri.cli import (
    clustsim,
    dwiprep,
    fwhmx,
    lme,
    netcorr,
    register,
    roi_lme,
    synth,
    tensor,
    topup,
)
from trialmri.cli.options import OneLineParser, output_folders
from trialmri.errors import InputError

PROGRAMS = (synth, tensor, topup, dwiprep, register, netcorr, lme, fwhmx, clustsim, roi_lme)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Errors that always mean the input is at fault (a file missing, present, unreadable or unwritable).
INPUT_ERRORS = (InputError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
                NotADirectoryError)


class Terminated(Exception):
    """SIGTERM (a scheduler's kill, ``timeout``): raised so the outputs are cleaned up."""


def _terminate(signum, frame):
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)  # SUPPRESS: "trialmri --debug lme" is not reset
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="print the traceback of an internal error")
    parser = OneLineParser(prog="trialmri", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    parser.add_argument("--version", action="version", version=f"trialmri {__version__}")
    sub = parser.add_subparsers(dest="program", required=True, metavar="<program>")
    for program in PROGRAMS:
        program.add(sub, common)
    return parser


def is_input_error(err: BaseException) -> bool:
    """Whether ``err`` reports a bad input: an :data:`INPUT_ERRORS` type, or a ``ValueError``
    raised by trialmri's own checks (its innermost frame is in the package); a ``ValueError`` from
    inside numpy or scipy is an internal error."""
    if isinstance(err, INPUT_ERRORS):
        return True
    if not isinstance(err, ValueError) or err.__traceback__ is None:
        return False
    frames = traceback.extract_tb(err.__traceback__)
    return Path(frames[-1].filename).resolve().is_relative_to(PACKAGE_DIR)


def _one_line(err: BaseException) -> str:
    text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    return "; ".join(line.strip() for line in text.strip().splitlines() if line.strip()) or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = f"trialmri {args.program}"
    use_one_blas_thread()  # results never depend on OMP/OPENBLAS_NUM_THREADS (trialmri.blas)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        with all_or_nothing():  # a folder made for the outputs is removed again if the run fails
            for option, folder in getattr(args, "outputs", output_folders)(args).items():
                check_writable(folder, option)
            return args.func(args)
    except KeyboardInterrupt:
        print(f"{name}: interrupted; no output written", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{name}: terminated; no output written", file=sys.stderr)
        return 143
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        if is_input_error(err):
            print(f"{name}: error: {_one_line(err)}", file=sys.stderr)
            return 2
        print(f"{name}: internal error: {type(err).__name__}: {_one_line(err)} (no output written; rerun "
              "with --debug for the traceback and report it)", file=sys.stderr)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
