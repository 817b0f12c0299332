"""``trialmri dwiprep`` and ``trialmri register``: the workflow's native DWI corrections and
registration chain as programs. Each must write, byte for byte, what the workflow's functions write
for the same inputs (rules correct_dwi; register_dwi_to_t1w, register_t1w_to_template,
register_sessions, warp_dti_to_template), and a bad input must fail by the programs' contract: exit
2, one line naming the file, no output file.

Input: one small synthetic session made here from trialmri.synth's signal model (4 mm, 40 x 48 x 32,
2 b0 + 8 directions per series: the eddy model's minimum; planted field and motion, Rician noise),
a 4 mm T1w and the 4 mm MNI template.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import yaml

from trialmri import transforms
from trialmri.cli import main
from trialmri.dwi.correction_files import correct_session_files
from trialmri.dwi.dwiprep_files import DEFAULT_ITERATIONS, OUTPUT_SUFFIXES, prefix_outputs
from trialmri.dwi.gradients import is_b0
from trialmri.dwi.mask import brain_mask
from trialmri.grids import Grid
from trialmri.io import save_nifti
from trialmri.text_files import write_json, write_text
from trialmri.synth import dwi as synth_dwi
from trialmri.synth.presets import BRAIN_CENTRE_MNI
from trialmri.templates import mni_1mm, mni_grid, mni_on_grid

ROOT = Path(__file__).resolve().parents[2]
VOXEL_MM = 4.0
DWI_SHAPE = (40, 48, 32)
ECHO_SPACING_S = 0.00049
SYN = "20,10,0"  # cheaper than the default 40,20,10; the bytes must still match the functions'


def _write_session(root: Path) -> dict:
    """AP/PA DWI series (BIDS names, .bval/.bvec/.json beside them), a T1w, a template, and the
    mean b0 + brain mask of each raw series (the registration's inputs)."""
    rng = np.random.default_rng(7)
    t1_1mm, affine_1mm = mni_1mm()
    truth_grid = mni_grid(VOXEL_MM)
    tissue = mni_on_grid(truth_grid)
    truth = synth_dwi.mni_truth(tissue)
    bvals, bvecs = synth_dwi.gradient_table(2, 8, 1000.0)
    grid = Grid.centred(DWI_SHAPE, VOXEL_MM, BRAIN_CENTRE_MNI, flip_x=True)
    head = transforms.rigid_from_params(np.array([2.0, -3.0, 1.5, *np.deg2rad([3.0, -2.0, 4.0])]),
                                        np.array(BRAIN_CENTRE_MNI))
    readout = ECHO_SPACING_S * (DWI_SHAPE[1] - 1)
    eddy = np.zeros((len(bvals), 4))
    dwi_dir = root / "sub-01" / "ses-pre" / "dwi"
    files = {}
    for direction, code, sign in (("AP", "j-", -1), ("PA", "j", 1)):
        motion = np.cumsum(rng.normal(0, 1, (len(bvals), 6)) * [0.15, 0.15, 0.15, *np.deg2rad([0.15] * 3)], 0)
        data = synth_dwi.simulate_series(truth, truth_grid.affine, grid, bvals, bvecs, head, motion, eddy, sign,
                                         readout, True, 20.0, rng)
        stem = dwi_dir / f"sub-01_ses-pre_dir-{direction}_dwi"
        save_nifti(f"{stem}.nii.gz", data, grid.affine, np.int16)
        write_text(f"{stem}.bval", " ".join(f"{b:g}" for b in bvals) + "\n")
        write_text(f"{stem}.bvec", "\n".join(" ".join(f"{v:.6f}" for v in row)
                                             for row in grid.axes.T @ bvecs.T) + "\n")
        write_json(f"{stem}.json", {"PhaseEncodingDirection": code, "TotalReadoutTime": round(readout, 6)})
        files[direction] = tuple(f"{stem}{ext}" for ext in (".nii.gz", ".bval", ".bvec", ".json"))
        b0 = data[..., is_b0(bvals)].mean(-1)
        save_nifti(root / f"b0_{direction}.nii.gz", b0, grid.affine)
        save_nifti(root / f"mask_{direction}.nii.gz", brain_mask(b0), grid.affine, np.uint8)
        save_nifti(root / f"md_{direction}.nii.gz", np.where(brain_mask(b0), b0 * 1e-6, 0.0), grid.affine)
    t1_grid = Grid.centred((48, 56, 48), VOXEL_MM, BRAIN_CENTRE_MNI, flip_x=True)
    t1 = synth_dwi.simulate_t1w(t1_1mm["t1"], affine_1mm, t1_grid, head, 10.0, rng)
    save_nifti(root / "T1w.nii.gz", t1, t1_grid.affine)
    save_nifti(root / "template.nii.gz", tissue["t1"], truth_grid.affine)
    return {"series": files, "root": root}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return _write_session(tmp_path_factory.mktemp("session"))


def _run(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _same_bytes(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, path in a.items():
        assert Path(path).read_bytes() == Path(b[key]).read_bytes(), key


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- dwiprep ---------------------------------------------------------------------------------------

def test_dwiprep_writes_what_the_workflow_writes(session, tmp_path, capsys):
    series = session["series"]
    code, out, err = _run(["dwiprep", "--dwi", series["AP"][0], series["PA"][0], "--iterations", 1,
                           "--title", "sub-01 ses-pre", "--out-prefix", tmp_path / "cli" / "p"], capsys)
    assert code == 0, err
    assert "two full DWI series" in out and "Jacobian-weighted average" in out and len(out.splitlines()) == 1
    expected = prefix_outputs(tmp_path / "cli" / "p")
    assert _files(tmp_path / "cli") == sorted(Path(p).name for p in expected.values())
    reference = {key: str(tmp_path / "ref" / f"ref{suffix}") for key, suffix in OUTPUT_SUFFIXES.items()}
    correct_session_files({"AP": series["AP"], "PA": series["PA"]}, reference, 1, title="sub-01 ses-pre")
    _same_bytes(expected, reference)  # images, tables, gradients, sidecar and both figures
    assert nib.load(expected["dwi"]).shape == (*DWI_SHAPE, 10)


def test_dwiprep_b0_only_reverse_series(session, tmp_path, capsys):
    """The reverse phase encoding as fmap/'s b0-only series: .json found beside it by BIDS naming."""
    ap, pa = session["series"]["AP"], session["series"]["PA"]
    fmap = tmp_path / "fmap" / "sub-01_ses-pre_dir-PA_epi"
    image = nib.load(pa[0])
    b0s = is_b0(np.loadtxt(pa[1]))
    fmap.parent.mkdir()
    nib.save(nib.Nifti1Image(np.asarray(image.dataobj)[..., b0s], image.affine, image.header), f"{fmap}.nii.gz")
    shutil.copyfile(pa[3], f"{fmap}.json")
    code, out, err = _run(["dwiprep", "--dwi", ap[0], "--reverse-b0", f"{fmap}.nii.gz", "--iterations", 1,
                           "--title", "t", "--out-prefix", tmp_path / "cli" / "p"], capsys)
    assert code == 0, err
    assert "b0-only reverse series PA" in out
    expected = prefix_outputs(tmp_path / "cli" / "p")
    reference = {key: str(tmp_path / "ref" / f"ref{suffix}") for key, suffix in OUTPUT_SUFFIXES.items()}
    correct_session_files({"AP": ap, "PA": (f"{fmap}.nii.gz", None, None, f"{fmap}.json")}, reference, 1,
                          title="t")
    _same_bytes(expected, reference)
    sidecar = json.loads(Path(expected["sidecar"]).read_text())
    assert sidecar["ReversePhaseEncoding"]["B0Series"] == [f"{fmap}.nii.gz"]
    assert nib.load(expected["dwi"]).shape[-1] == 10  # the AP series alone


def _copy_series(session, folder: Path) -> dict:
    """The AP/PA files copied to ``folder`` (same names), to be broken one at a time."""
    out = {}
    for direction, paths in session["series"].items():
        out[direction] = tuple(shutil.copy(p, folder / Path(p).name) for p in paths)
    return out


def _bad_dwiprep(case: str, s: dict, folder: Path) -> tuple[list, str]:
    """argv after ``--dwi`` ... and the file the message must name."""
    ap, pa = s["AP"], s["PA"]
    if case == "missing json":
        Path(pa[3]).unlink()
        return [ap[0], pa[0]], pa[3]
    if case == "no PhaseEncodingDirection":
        Path(pa[3]).write_text(json.dumps({"TotalReadoutTime": 0.023}))
        return [ap[0], pa[0]], pa[3]
    if case == "no readout time":
        Path(pa[3]).write_text(json.dumps({"PhaseEncodingDirection": "j"}))
        return [ap[0], pa[0]], pa[3]
    if case == "same PE direction twice":
        return [ap[0], pa[0], "--json", ap[3], ap[3]], ap[3]
    if case == "bval count":
        short = folder / "short.bval"
        short.write_text("0 1000 1000\n")
        return [ap[0], pa[0], "--bval", ap[1], short], "short.bval"
    if case == "bval list length":
        return [ap[0], pa[0], "--bval", ap[1]], "--bval"
    if case == "grid":
        image = nib.load(pa[0])
        moved = image.affine.copy()
        moved[:3, 3] += 2.0
        nib.save(nib.Nifti1Image(np.asarray(image.dataobj), moved, image.header), pa[0])
        return [ap[0], pa[0]], pa[0]
    if case == "too few DW volumes":
        image = nib.load(ap[0])
        nib.save(nib.Nifti1Image(np.asarray(image.dataobj)[..., :8], image.affine, image.header), ap[0])
        Path(ap[1]).write_text(" ".join(Path(ap[1]).read_text().split()[:8]) + "\n")
        Path(ap[2]).write_text("\n".join(" ".join(row.split()[:8]) for row in Path(ap[2]).read_text().splitlines()))
        epi = folder / "fmap_dir-PA_epi.nii.gz"
        shutil.copyfile(pa[0], epi)
        shutil.copyfile(pa[3], folder / "fmap_dir-PA_epi.json")
        return [ap[0], "--reverse-b0", epi], ap[0]
    if case == "missing dwi":
        return [ap[0], folder / "nope_dwi.nii.gz"], "nope_dwi.nii.gz"
    if case == "one series":
        return [ap[0]], "--dwi"
    if case == "reverse b0 without its json":
        epi = folder / "fmap_dir-PA_epi.nii.gz"
        shutil.copyfile(pa[0], epi)
        return [ap[0], "--reverse-b0", epi], "fmap_dir-PA_epi.json"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing json", "no PhaseEncodingDirection", "no readout time",
                                  "same PE direction twice", "bval count", "bval list length", "grid",
                                  "too few DW volumes", "missing dwi", "one series",
                                  "reverse b0 without its json"])
def test_dwiprep_bad_input_fails_before_any_output(session, tmp_path, capsys, case):
    inputs = tmp_path / "in"
    inputs.mkdir()
    args, named = _bad_dwiprep(case, _copy_series(session, inputs), inputs)
    code, _, err = _run(["dwiprep", "--dwi", *args, "--out-prefix", tmp_path / "out" / "p"], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("trialmri dwiprep: error: "), err
    assert str(named) in err or Path(named).name in err, err
    assert _files(tmp_path / "out") == []  # nothing written, not even a hidden file


def test_dwiprep_same_pe_message_names_both_files(session, tmp_path, capsys):
    ap = session["series"]["AP"]
    code, _, err = _run(["dwiprep", "--dwi", ap[0], session["series"]["PA"][0], "--json", ap[3], ap[3],
                         "--out-prefix", tmp_path / "p"], capsys)
    assert code == 2 and "opposite signs" in err and err.count(Path(ap[3]).name) == 2, err


# --- register --------------------------------------------------------------------------------------

def test_register_writes_the_workflow_chain(session, tmp_path, capsys):
    """b0 -> T1w rigid, T1w -> template affine + SyN, the session rigid, and maps of both sessions
    warped: each file equals what the workflow's scripts write with the same functions."""
    from trialmri.dwi.registration import register_rigid, register_t1w_to_template, warp_maps

    r = session["root"]
    maps = tmp_path / "maps"
    maps.mkdir()
    md_pre, md_post = shutil.copy(r / "md_AP.nii.gz", maps / "md.nii.gz"), r / "md_PA.nii.gz"
    code, out, err = _run(["register", "--b0", r / "b0_AP.nii.gz", "--dwi-mask", r / "mask_AP.nii.gz",
                           "--t1w", r / "T1w.nii.gz", "--template", r / "template.nii.gz", "--maps", md_pre,
                           "--session-b0", r / "b0_PA.nii.gz", "--session-mask", r / "mask_PA.nii.gz",
                           "--session-maps", md_post, "--syn-iterations", SYN,
                           "--out-prefix", tmp_path / "cli" / "p"], capsys)
    assert code == 0, err
    assert "with the session rigid; 2 map(s) resampled" in out and len(out.splitlines()) == 1, out
    p = tmp_path / "cli" / "p"
    cli = {"dwi_to_t1w": f"{p}_b0_to_T1w_rigid.mat", "affine": f"{p}_T1w_to_template_affine.mat",
           "warp": f"{p}_T1w_to_template_warp.nii.gz", "brain": f"{p}_T1w_masked.nii.gz",
           "session": f"{p}_session_to_b0_rigid.mat", "md": f"{p}_md_template.nii.gz",
           "md_PA": f"{p}_md_PA_template.nii.gz"}
    assert _files(tmp_path / "cli") == sorted([*(Path(v).name for v in cli.values()), "p_md_template.json",
                                               "p_md_PA_template.json"])
    q = tmp_path / "ref"
    ref = {k: str(q / Path(v).name) for k, v in cli.items()}
    # the workflow's calls, in its order (scripts/register_rigid.py, register_t1w_to_template.py,
    # warp_dti_to_template.py); the template side first in the chain
    register_rigid(r / "T1w.nii.gz", r / "b0_AP.nii.gz", ref["dwi_to_t1w"])
    register_t1w_to_template(r / "T1w.nii.gz", r / "template.nii.gz", r / "mask_AP.nii.gz", ref["dwi_to_t1w"],
                             ref["affine"], ref["warp"], masked_t1w_out=ref["brain"], syn_iterations=(20, 10, 0))
    register_rigid(r / "b0_AP.nii.gz", r / "b0_PA.nii.gz", ref["session"])
    chain = [ref["warp"], ref["affine"], ref["dwi_to_t1w"]]
    warp_maps({"md": md_pre}, r / "mask_AP.nii.gz", r / "template.nii.gz", chain, {"md": ref["md"]})
    warp_maps({"md_PA": md_post}, r / "mask_PA.nii.gz", r / "template.nii.gz", [*chain, ref["session"]],
              {"md_PA": ref["md_PA"]})
    _same_bytes(cli, ref)
    template = nib.load(r / "template.nii.gz")
    warped = nib.load(cli["md"])
    assert warped.shape == template.shape and np.allclose(warped.affine, template.affine)
    assert np.isfinite(warped.get_fdata()).sum() > 1000
    sidecar = json.loads(Path(f"{p}_md_PA_template.json").read_text())
    assert sidecar["Sources"] == [str(md_post), cli["warp"], cli["affine"], cli["dwi_to_t1w"], cli["session"]]
    # the program's sidecar names the template it was given and claims no units of its own
    assert sidecar["Template"] == "template.nii.gz" and sidecar["Units"] == "those of the source map"


def test_register_without_maps_writes_the_transforms_only(session, tmp_path, capsys):
    r = session["root"]
    code, _, err = _run(["register", "--b0", r / "b0_AP.nii.gz", "--dwi-mask", r / "mask_AP.nii.gz",
                           "--t1w", r / "T1w.nii.gz", "--template", r / "template.nii.gz", "--syn-iterations",
                           "5,0", "--out-prefix", tmp_path / "p"], capsys)
    assert code == 0, err
    assert _files(tmp_path) == ["p_T1w_masked.nii.gz", "p_T1w_to_template_affine.mat",
                                "p_T1w_to_template_warp.nii.gz", "p_b0_to_T1w_rigid.mat"]


def _bad_register(case: str, r: Path, folder: Path) -> tuple[dict, str]:
    """Options (overriding a good run's) and the file or option the message must name."""
    if case == "template missing":
        return {"--template": folder / "MNI.nii.gz"}, "MNI.nii.gz"
    if case == "maps on another grid":
        return {"--maps": r / "T1w.nii.gz"}, "T1w.nii.gz"
    if case == "mask on another grid":
        return {"--dwi-mask": r / "T1w.nii.gz"}, "T1w.nii.gz"
    if case == "4-D b0":
        return {"--b0": r / "sub-01" / "ses-pre" / "dwi" / "sub-01_ses-pre_dir-AP_dwi.nii.gz"}, "dir-AP_dwi"
    if case == "session b0 without its mask":
        return {"--session-b0": r / "b0_PA.nii.gz"}, "--session-mask"
    if case == "session maps on the first session's grid":
        bigger = folder / "big.nii.gz"
        save_nifti(bigger, np.zeros((8, 8, 8)), np.eye(4))
        return {"--session-b0": r / "b0_PA.nii.gz", "--session-mask": r / "mask_PA.nii.gz",
                "--session-maps": bigger}, "big.nii.gz"
    if case == "syn iterations":
        return {"--syn-iterations": "40,x"}, "--syn-iterations"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["template missing", "maps on another grid", "mask on another grid", "4-D b0",
                                  "session b0 without its mask", "session maps on the first session's grid",
                                  "syn iterations"])
def test_register_bad_input_fails_before_any_output(session, tmp_path, capsys, case):
    r = session["root"]
    options = {"--b0": r / "b0_AP.nii.gz", "--dwi-mask": r / "mask_AP.nii.gz", "--t1w": r / "T1w.nii.gz",
               "--template": r / "template.nii.gz"}
    change, named = _bad_register(case, r, tmp_path)
    options.update(change)
    argv = ["register", *[x for item in options.items() for x in item], "--out-prefix", tmp_path / "out" / "p"]
    code, _, err = _run(argv, capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("trialmri register: error: "), err
    assert named in err, err
    assert _files(tmp_path / "out") == []


def test_defaults_are_the_workflows():
    from trialmri.cli import dwiprep, register
    from trialmri.dwi import register_files
    from trialmri.dwi.registration import SYN_ITERATIONS

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["dti"]
    assert dwiprep.DEFAULT_ITERATIONS == DEFAULT_ITERATIONS == config["corrections"]["iterations"]
    assert tuple(config["syn_iterations"]) == SYN_ITERATIONS == register_files.SYN_ITERATIONS
    assert register.SYN_DEFAULT == ",".join(map(str, SYN_ITERATIONS))
