"""Bad inputs to the trialmri programs, one table row each, against the failure contract of
``trialmri.cli``: exit status 2, one stderr line ``trialmri <program>: error: ...`` naming the
offending file (its file name) or option, no traceback, and nothing written (no ``<prefix>*``, no
hidden ``.trialmri-*`` file, no earlier file changed). Then the contract's other promises, which
need a real process: an earlier output survives a failing run, SIGTERM leaves nothing behind, an
internal error is exit 1 with the traceback only under ``--debug``.

Each case starts from valid tiny inputs (program_inputs; ``test_valid_inputs_run`` proves they run)
and spoils one thing.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import program_inputs as I
from trialmri.cli import main

BIN = Path(sys.executable).parent
NOWHERE = "/proc/trialmri-nowhere/x"  # root can write anywhere chmod allows; /proc refuses new folders


def base_options(program: str, d: Path) -> dict[str, object]:
    """Valid options of ``program`` (its inputs written under ``d/in``), without the output option."""
    src = d / "in"
    if program == "tensor":
        files = I.dwi(src)
        return {"--dwi": files["dwi"], "--bval": files["bval"], "--bvec": files["bvec"]}
    if program == "topup":
        ap, pa = I.b0_pair(src)
        return {"--b0-ap": ap, "--b0-pa": pa, "--readout-time": "0.05"}
    if program == "netcorr":
        return {"--input": I.series(src / "bold.nii.gz"), "--rois": I.labels(src / "rois.nii.gz")}
    if program == "lme":
        return {"--table": I.lme_table(src), "--formula": "group*treatment"}
    if program == "fwhmx":
        return {"--input": I.series(src / "resid.nii.gz", volumes=8)}
    if program == "clustsim":  # --athr 0.5 so that 20 fields are enough (iterations >= 10/alpha)
        return {"--mask": I.mask(src / "mask.nii.gz"), "--acf": ["0.5", "3", "6"], "--pthr": ["0.01"],
                "--athr": ["0.5"], "--iter": "20"}
    if program == "roi-lme":
        return {"--table": I.roi_table(src / "long.tsv"), "--formula": "log_crp ~ group*treatment"}
    if program == "synth":
        return {}
    raise AssertionError(program)


def out_option(program: str) -> str:
    return "--out" if program in ("roi-lme", "synth") else "--out-prefix"


def default_out(program: str, d: Path) -> Path:
    (d / "out").mkdir(parents=True, exist_ok=True)
    return d / "out" / ("res.tsv" if program == "roi-lme" else "res")


def build_argv(program: str, d: Path, over: dict[str, object]) -> tuple[list[str], Path]:
    """The command line (after ``trialmri``) and the output path; ``over`` replaces options (a
    callable is called with ``d``; None drops the option)."""
    options = base_options(program, d)
    options[out_option(program)] = default_out(program, d)
    for option, value in over.items():
        options[option] = value(d) if callable(value) else value
    argv = [program]
    for option, value in options.items():
        if value is None:
            continue
        if value is True:
            argv.append(option)
        else:
            argv += [option, *map(str, value if isinstance(value, (list, tuple)) else [value])]
    return argv, Path(options[out_option(program)])


@dataclass
class Case:
    id: str
    program: str
    over: dict = field(default_factory=dict)
    # Every item must appear in the error line; a tuple item: one of its words must.
    names: tuple = ()


def bad(d: Path) -> Path:
    return I.folder(d / "bad")


def _no_input_file(name):
    return lambda d: bad(d) / name


def _dir(name):
    return lambda d: I.folder(bad(d) / name)


def _tsv(name):
    return lambda d: I.tsv_file(bad(d) / name)


def _cut(name, volumes=8):
    return lambda d: I.corrupt(bad(d) / name, volumes)


def _file_parent(d: Path, option_value_name="x") -> Path:
    """An out path whose parent is a regular file."""
    return I.text(d / "afile", "I am a file\n") / option_value_name


def _lme_with(rows_change=None, name="table.tsv", drop=None, map_change=None):
    """A spoiled lme table under bad/: ``rows_change(rows)`` edits the design, ``drop`` removes a
    column after the maps are listed, ``map_change(folder, table)`` spoils a map."""
    def build(d):
        import pandas as pd
        rows = I.lme_rows()
        if rows_change:
            rows = rows_change(rows)
        path = I.lme_table(bad(d), rows, name)
        if drop or map_change:
            table = pd.read_csv(path, sep="\t", dtype=str)
            if map_change:
                map_change(path.parent, table)
            if drop:
                table = table.drop(columns=[drop])
            table.to_csv(path, sep="\t", index=False)
        return path
    return build


def _lme_corrupt_map(folder, table):
    I.corrupt(folder / "maps" / "map03.nii.gz", volumes=1)


def _lme_map_is_folder(folder, table):
    (folder / "maps" / "map03.nii.gz").unlink()
    I.folder(folder / "maps" / "dir_map.nii.gz")
    table.loc[2, "InputFile"] = "maps/dir_map.nii.gz"


def _lme_map_is_tsv(folder, table):
    I.tsv_file(folder / "maps" / "map03.tsv")
    table.loc[2, "InputFile"] = "maps/map03.tsv"


def _lme_map_missing(folder, table):
    table.loc[2, "InputFile"] = "maps/gone_map.nii.gz"


def _lme_map_other_shape(folder, table):
    I.nii(folder / "maps" / "odd_map.nii.gz", np.random.default_rng(5).normal(size=(8, 8, 5)))
    table.loc[4, "InputFile"] = "maps/odd_map.nii.gz"


def _roi_with(rows_change, name="long.tsv"):
    return lambda d: I.roi_table(bad(d) / name, rows_change(I.roi_rows()))


def _labels_4d(d):
    m = I.block().astype(np.int16)
    return I.nii(bad(d) / "rois4d.nii.gz", np.stack([m, 2 * m], axis=-1))


def _mask_4d(d, name="mask4d.nii.gz"):
    m = I.block()
    return I.nii(bad(d) / name, np.stack([m, m, m], axis=-1))


def _mask_values_123(d):
    m = I.block().astype(np.int16)
    m[m > 0] = (np.arange(int(m.sum())) % 3) + 1
    return I.nii(bad(d) / "mask123.nii.gz", m)


def _negative_labels(d):
    return I.labels(bad(d) / "neg_rois.nii.gz", values=(-1, 2))


def _dwi_3d(d):
    return I.nii(bad(d) / "dwi3d.nii.gz", np.full(I.SHAPE, 1000, np.float32))


def _bvec_two_rows(d):  # x and y rows only
    return I.text(bad(d) / "tworows.bvec", "\n".join(" ".join(f"{v:g}" for v in row) for row in I.BVECS.T[:2]) + "\n")


def _bval_bvec_7(d):  # 7 b-values and 7 b-vectors for the 8-volume DWI
    I.bvecs(bad(d) / "seven.bvec", I.BVECS[:7])
    return I.bvals(bad(d) / "seven.bval", I.BVALS[:7])


GRID = ("origin", "voxel size", "orientation")
CASES: list[Case] = []

# Every program: an output folder that cannot be made, an out path whose parent is a file.
for program in ("tensor", "topup", "netcorr", "lme", "fwhmx", "clustsim", "roi-lme", "synth"):
    opt = out_option(program)
    CASES.append(Case(f"{program}-out-unwritable", program, {opt: NOWHERE}, (opt,)))
    CASES.append(Case(f"{program}-out-parent-is-file", program, {opt: _file_parent}, (opt, "afile")))

# The image itself: cut short, a folder, a table, missing.
IMAGE_OPTION = {"tensor": "--dwi", "netcorr": "--input", "fwhmx": "--input", "clustsim": "--mask",
                "topup": "--b0-pa"}
for program, opt in IMAGE_OPTION.items():
    volumes = 1 if program in ("clustsim", "topup") else 8
    CASES += [
        Case(f"{program}-corrupt-gz", program, {opt: _cut("cut_image.nii.gz", volumes)}, ("cut_image.nii.gz",)),
        Case(f"{program}-folder-as-image", program, {opt: _dir("dir_image.nii.gz")}, ("dir_image.nii.gz",)),
        Case(f"{program}-tsv-as-image", program, {opt: _tsv("table_image.tsv")}, ("table_image.tsv",)),
        Case(f"{program}-missing-image", program, {opt: _no_input_file("gone_image.nii.gz")},
             ("gone_image.nii.gz",)),
    ]
CASES += [
    Case("lme-corrupt-gz-map", "lme", {"--table": _lme_with(map_change=_lme_corrupt_map)}, ("map03.nii.gz",)),
    Case("lme-folder-as-map", "lme", {"--table": _lme_with(map_change=_lme_map_is_folder)}, ("dir_map.nii.gz",)),
    Case("lme-tsv-as-map", "lme", {"--table": _lme_with(map_change=_lme_map_is_tsv)}, ("map03.tsv",)),
    Case("lme-missing-table", "lme", {"--table": _no_input_file("gone_table.tsv")}, ("gone_table.tsv",)),
]

CASES += [
    # tensor
    Case("tensor-mask-other-origin", "tensor", {"--mask": lambda d: I.mask(bad(d) / "shifted_mask.nii.gz",
                                                                         affine=I.SHIFTED)},
         ("shifted_mask.nii.gz", GRID)),
    Case("tensor-mask-other-voxel-size", "tensor", {"--mask": lambda d: I.mask(bad(d) / "coarse_mask.nii.gz",
                                                                             affine=I.COARSER)},
         ("coarse_mask.nii.gz", GRID)),
    Case("tensor-bval-not-numeric", "tensor", {"--bval": lambda d: I.text(bad(d) / "words.bval",
                                                                        "0 1000 1000 b1000 1000 1000 1000 0\n")},
         ("words.bval",)),
    Case("tensor-bval-bvec-7-for-8-volumes", "tensor", {"--bval": _bval_bvec_7,
                                                        "--bvec": lambda d: bad(d) / "seven.bvec"},
         (("seven.bval", "seven.bvec", "dwi.nii.gz"),)),
    Case("tensor-dwi-3d", "tensor", {"--dwi": _dwi_3d}, ("dwi3d.nii.gz",)),
    Case("tensor-bval-empty", "tensor", {"--bval": lambda d: I.text(bad(d) / "empty.bval", "")}, ("empty.bval",)),
    Case("tensor-bvec-2-rows", "tensor", {"--bvec": _bvec_two_rows}, ("tworows.bvec",)),
    # netcorr
    Case("netcorr-labels-fractional", "netcorr", {"--rois": lambda d: I.labels(bad(d) / "frac_rois.nii.gz",
                                                                             values=(1.5, 2.5))},
         ("frac_rois.nii.gz",)),
    Case("netcorr-rois-4d", "netcorr", {"--rois": _labels_4d}, ("rois4d.nii.gz",)),
    Case("netcorr-series-one-volume", "netcorr", {"--input": lambda d: I.nii(bad(d) / "one_vol.nii.gz",
                                                                           np.ones(I.SHAPE, np.float32))},
         ("one_vol.nii.gz",)),
    Case("netcorr-rois-other-grid", "netcorr", {"--rois": lambda d: I.labels(bad(d) / "grid_rois.nii.gz",
                                                                           affine=I.SHIFTED)},
         ("grid_rois.nii.gz",)),
    Case("netcorr-mask-not-binary", "netcorr", {"--mask": _mask_values_123}, ("mask123.nii.gz",)),
    Case("netcorr-labels-all-zero", "netcorr", {"--rois": lambda d: I.labels(bad(d) / "zero_rois.nii.gz",
                                                                           values=(0, 0))},
         ("zero_rois.nii.gz",)),
    Case("netcorr-labels-negative", "netcorr", {"--rois": _negative_labels}, ("neg_rois.nii.gz",)),
    # lme
    Case("lme-formula-with-response", "lme", {"--formula": "y ~ group*treatment"}, ("--formula",)),
    Case("lme-qvars-missing-column", "lme", {"--formula": "group*treatment+weight", "--qvars": "weigth"},
         ("--qvars", "weigth")),
    Case("lme-formula-missing-column", "lme", {"--formula": "group*treatment+site"},
         (("--formula", "table.tsv"), "site")),
    Case("lme-table-without-inputfile", "lme", {"--table": _lme_with(name="noinput.tsv", drop="InputFile")},
         ("noinput.tsv", "InputFile")),
    Case("lme-inputfile-missing", "lme", {"--table": _lme_with(map_change=_lme_map_missing)},
         ("gone_map.nii.gz",)),
    Case("lme-maps-of-different-shapes", "lme", {"--table": _lme_with(map_change=_lme_map_other_shape)},
         ("odd_map.nii.gz",)),
    Case("lme-qvar-centers-not-numeric", "lme", {"--formula": "group*treatment+weight", "--qvars": "weight",
                                                 "--qvar-centers": "sixty"}, ("--qvar-centers",)),
    Case("lme-table-is-nifti", "lme", {"--table": lambda d: I.mask(bad(d) / "table_image.nii.gz")},
         ("table_image.nii.gz",)),
    Case("lme-table-no-rows", "lme", {"--table": _lme_with(lambda rows: rows.iloc[:0], name="norows.tsv")},
         ("norows.tsv",)),
    Case("lme-random-missing-column", "lme", {"--random": "patient"}, (("--random", "table.tsv"), "patient")),
    Case("lme-mask-other-grid", "lme", {"--mask": lambda d: I.mask(bad(d) / "lme_mask.nii.gz", affine=I.SHIFTED)},
         ("lme_mask.nii.gz",)),
    # roi-lme
    Case("roi-lme-response-all-na", "roi-lme",
         {"--table": _roi_with(lambda r: r.assign(log_crp=np.nan), "allna.tsv")}, ("allna.tsv", "log_crp")),
    Case("roi-lme-table-is-nifti", "roi-lme", {"--table": lambda d: I.mask(bad(d) / "long_image.nii.gz")},
         ("long_image.nii.gz",)),
    Case("roi-lme-formula-without-tilde", "roi-lme", {"--formula": "log_crp + group*treatment"}, ("--formula",)),
    Case("roi-lme-formula-missing-column", "roi-lme", {"--formula": "log_crp ~ group*treatment + site"},
         (("--formula", "long.tsv"), "site")),
    Case("roi-lme-one-subject", "roi-lme", {"--table": _roi_with(lambda r: r.assign(subject="s01"), "onesub.tsv")},
         (("onesub.tsv", "--random"),)),
    Case("roi-lme-factors-missing-column", "roi-lme", {"--factors": "visit"}, ("--factors", "visit")),
    Case("roi-lme-missing-table", "roi-lme", {"--table": _no_input_file("gone_long.tsv")}, ("gone_long.tsv",)),
    # fwhmx
    Case("fwhmx-input-3d", "fwhmx", {"--input": lambda d: I.nii(bad(d) / "resid3d.nii.gz",
                                                              np.random.default_rng(4).normal(size=I.SHAPE))},
         ("resid3d.nii.gz",)),
    Case("fwhmx-detrend-50-on-8-volumes", "fwhmx", {"--detrend": "50"}, ("--detrend",)),
    Case("fwhmx-mask-4d", "fwhmx", {"--mask": _mask_4d}, ("mask4d.nii.gz",)),
    Case("fwhmx-mask-other-grid", "fwhmx", {"--mask": lambda d: I.mask(bad(d) / "fw_mask.nii.gz", affine=I.COARSER)},
         ("fw_mask.nii.gz",)),
    # clustsim
    Case("clustsim-mask-4d", "clustsim", {"--mask": _mask_4d}, ("mask4d.nii.gz",)),
    Case("clustsim-iter-5-athr-0.01", "clustsim", {"--iter": "5", "--athr": ["0.01"]}, ("--iter",)),
    Case("clustsim-acf-radius-beyond-grid", "clustsim", {"--acf": ["0.5", "2", "400"]}, ("--acf",)),
    Case("clustsim-acf-a-above-1", "clustsim", {"--acf": ["1.5", "2", "3"]}, ("--acf",)),
    Case("clustsim-pthr-0", "clustsim", {"--pthr": ["0"]}, ("--pthr",)),
    Case("clustsim-pthr-1.5", "clustsim", {"--pthr": ["1.5"]}, ("--pthr",)),
    Case("clustsim-athr-0", "clustsim", {"--athr": ["0"]}, ("--athr",)),
    Case("clustsim-iter-0", "clustsim", {"--iter": "0"}, ("--iter",)),
    Case("clustsim-threads-0", "clustsim", {"--threads": "0"}, ("--threads",)),
    Case("clustsim-mask-empty", "clustsim", {"--mask": lambda d: I.nii(bad(d) / "empty_mask.nii.gz",
                                                                     np.zeros(I.SHAPE, np.uint8))},
         ("empty_mask.nii.gz",)),
    Case("clustsim-seed-negative", "clustsim", {"--seed": "-1"}, ("--seed",)),
    # topup
    Case("topup-readout-in-ms", "topup", {"--readout-time": "50"}, ("--readout-time",)),
    Case("topup-pair-on-different-grids", "topup", {"--b0-pa": lambda d: I.b0(bad(d) / "coarse_pa.nii.gz", 0.5,
                                                                              affine=I.COARSER)},
         (("coarse_pa.nii.gz", "b0_ap.nii.gz"),)),
    # synth
    Case("synth-out-not-empty", "synth", {"--out": lambda d: I.text(d / "out" / "res" / "keep.txt", "mine").parent},
         ("--out",)),
    Case("synth-seed-negative", "synth", {"--seed": "-3"}, ("--seed",)),
]
assert len({c.id for c in CASES}) == len(CASES)


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> content digest ('dir' for folders)."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def prefix_name(program: str, out: Path) -> str:
    return out.name[: -len(".tsv")] if program == "roi-lme" and out.name.endswith(".tsv") else out.name


def check_no_outputs(program: str, out: Path, before: dict[str, str], root: Path) -> None:
    folder = out.parent
    if folder.is_dir():
        prefix = prefix_name(program, out)
        keep = {p for p in before if p.startswith(str(out.relative_to(root)))} if out.is_relative_to(root) else set()
        made = [p.name for p in folder.glob(f"{prefix}*") if str(p.relative_to(root)) not in keep]
        assert not made, f"outputs left behind: {made}"
        hidden = [p.name for p in folder.glob(".trialmri-*")]
        assert not hidden, f"hidden temporary files left behind: {hidden}"
    after = snapshot(root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"files made or changed by the failed run: {changed}"


def check_error_line(err: str, program: str, names) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"stderr must be one non-empty line, got {len(lines)}:\n{err}"
    line = lines[0]
    assert line.startswith(f"trialmri {program}: error: "), line
    for name in names:
        words = name if isinstance(name, tuple) else (name,)
        assert any(w in line for w in words), f"the error line does not name {' or '.join(words)}: {line}"
    return line


@pytest.fixture
def cli_warnings(monkeypatch):
    """Warnings as the installed program shows them (pytest would otherwise collect them): Python's
    default filters, each warning printed to stderr, where it adds lines to the one error line."""
    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        monkeypatch.setattr(warnings, "showwarning", show)
        yield


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys, cli_warnings):
    argv, out = build_argv(case.program, tmp_path, case.over)
    before = snapshot(tmp_path)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: not a bad-input case of this table
        code = f"SystemExit({exc.code})"
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err, captured.err
    assert code == 2, f"exit {code}; stderr: {captured.err.strip()}"
    check_error_line(captured.err, case.program, case.names)
    check_no_outputs(case.program, out, before, tmp_path)


def test_cases_are_at_least_60():
    assert len(CASES) >= 60


@pytest.mark.parametrize("program", ["tensor", "topup", "netcorr", "lme", "fwhmx", "clustsim", "roi-lme"])
def test_valid_inputs_run(program, tmp_path, capsys):
    """The unspoiled inputs the table starts from are valid: each program runs and writes."""
    argv, out = build_argv(program, tmp_path, {})
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert list(out.parent.glob(f"{prefix_name(program, out)}*")), "no output written"
    assert not list(out.parent.glob(".trialmri-*"))


# argparse-level errors: SystemExit(2), one line naming the option.
USAGE = [
    ("clustsim-missing-acf", "clustsim", {"--acf": None}, ("--acf",)),
    ("clustsim-iter-not-a-number", "clustsim", {"--iter": "abc"}, ("--iter",)),
    ("tensor-missing-dwi", "tensor", {"--dwi": None}, ("--dwi",)),
    ("topup-readout-not-a-number", "topup", {"--readout-time": "fast"}, ("--readout-time",)),
    ("topup-pe-axis-unknown", "topup", {"--pe-axis": "q"}, ("--pe-axis",)),
    ("lme-missing-formula", "lme", {"--formula": None}, ("--formula",)),
]


@pytest.mark.parametrize("uid, program, over, names", USAGE, ids=[u[0] for u in USAGE])
def test_usage_error_is_one_line_exit_2(uid, program, over, names, tmp_path, capsys, cli_warnings):
    argv, out = build_argv(program, tmp_path, over)
    before = snapshot(tmp_path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    assert exc.value.code == 2
    assert "Traceback" not in captured.out + captured.err
    check_error_line(captured.err, program, names)
    check_no_outputs(program, out, before, tmp_path)


# Real processes: the installed entry point.
def trialmri(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "trialmri"), *map(str, args)], capture_output=True, text=True, timeout=120, **kw)


def test_failing_run_keeps_an_earlier_output(tmp_path):
    """An earlier result at the output name survives a run that fails on a bad input."""
    argv, out = build_argv("clustsim", tmp_path, {"--acf": ["1.5", "2", "3"]})
    sentinel = out.parent / f"{out.name}.json"
    sentinel.write_bytes(b'{"earlier": "result"}\n')
    proc = trialmri(argv)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert sentinel.read_bytes() == b'{"earlier": "result"}\n'
    assert not list(out.parent.glob(".trialmri-*"))


def test_run_failing_while_writing_keeps_every_earlier_output(tmp_path):
    """The tensor fit runs, then one output name is taken by a folder: the run fails, and the
    earlier maps at the other output names are not replaced (outputs are renamed into place only
    when the whole program has succeeded)."""
    argv, out = build_argv("tensor", tmp_path, {})
    earlier = {}
    for metric in ("md", "fa", "ad", "rd"):
        path = out.parent / f"{out.name}_{metric}.nii.gz"
        path.write_bytes(f"earlier {metric}".encode())
        earlier[path] = path.read_bytes()
    (out.parent / f"{out.name}_qc.tsv").mkdir()
    proc = trialmri(argv)
    assert proc.returncode != 0, proc.stdout
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{out.name}_qc.tsv" in proc.stderr
    changed = [p.name for p, data in earlier.items() if p.read_bytes() != data]
    assert not changed, f"earlier outputs replaced by a failed run: {changed}"
    assert not list(out.parent.glob(".trialmri-*"))


def handles_sigterm(pid: int) -> bool:
    """Whether the process catches SIGTERM (Linux: bit 15 of SigCgt in /proc/<pid>/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def test_sigterm_leaves_nothing(tmp_path):
    """SIGTERM (a scheduler's kill) during a long simulation: non-zero exit, one line, no output
    and no hidden temporary file."""
    mask = I.nii(tmp_path / "in" / "mask20.nii.gz", np.ones((20, 20, 20), np.uint8))
    out = tmp_path / "out" / "res"
    out.parent.mkdir()
    proc = subprocess.Popen([str(BIN / "trialmri"), "clustsim", "--mask", str(mask), "--acf", "0.5", "3", "6",
                             "--iter", "100000", "--out-prefix", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        start = time.monotonic()
        while not handles_sigterm(proc.pid) and proc.poll() is None and time.monotonic() - start < 20:
            time.sleep(0.05)  # a loaded machine: wait until the program has installed its handler
        time.sleep(max(0.0, 1.5 - (time.monotonic() - start)))
        assert proc.poll() is None, f"finished before SIGTERM: {proc.communicate()}"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("trialmri clustsim: "), stderr
    assert not list(out.parent.glob("res*")), "output left behind"
    assert not list(out.parent.glob(".trialmri-*")), "temporary file left behind"


@pytest.mark.parametrize("where", ["after-program", "before-program"])
def test_internal_error_is_exit_1_traceback_only_with_debug(where, tmp_path, capsys, monkeypatch):
    """No honest way to provoke an internal error from outside: a program's run raises one."""
    import trialmri.cli.fwhmx as fwhmx

    def broken(args):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(fwhmx, "run", broken)
    argv, out = build_argv("fwhmx", tmp_path, {})
    capsys.readouterr()
    assert main(argv) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("trialmri fwhmx: internal error"), captured.err
    assert "Traceback" not in captured.out + captured.err
    debug = argv[:1] + ["--debug"] + argv[1:] if where == "after-program" else ["--debug"] + argv
    assert main(debug) == 1
    captured = capsys.readouterr()
    assert "Traceback" in captured.err and "something inside broke" in captured.err
    assert captured.err.strip().splitlines()[-1].startswith("trialmri fwhmx: internal error")


def test_entry_point_bad_input_exit_2(tmp_path):
    """The installed ``trialmri`` (not only main()) exits 2 with one line."""
    argv, _ = build_argv("netcorr", tmp_path, {"--rois": _no_input_file("gone_rois.nii.gz")})
    proc = trialmri(argv)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    check_error_line(proc.stderr, "netcorr", ("gone_rois.nii.gz",))


def test_module_run_matches_entry_point(tmp_path):
    """``python -m trialmri.cli`` behaves as the entry point."""
    argv, _ = build_argv("clustsim", tmp_path, {"--pthr": ["0"]})
    proc = subprocess.run([sys.executable, "-m", "trialmri.cli", *argv], capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert proc.returncode == 2, proc.stderr
    check_error_line(proc.stderr, "clustsim", ("--pthr",))
