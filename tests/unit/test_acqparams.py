"""Acquisition parameters from BIDS sidecars, and FSL's acqparams / index / topup datain files."""

from __future__ import annotations

import json

import pytest

from trialmri.dwi.acqparams import (PE_AXES, READOUT_RANGE_S, Acquisition, acqparams_rows, check_pair,
                                    index_column, read_acquisition, write_fsl_files)

SHAPE = (96, 112, 60, 14)  # a real DWI grid: 96 x 112 x 60 voxels, 14 volumes


def sidecar(tmp_path, name="dwi.json", **meta):
    path = tmp_path / name
    path.write_text(json.dumps(meta))
    return path


@pytest.mark.parametrize("code, axis, sign, vector", [
    ("i", 0, 1, [1, 0, 0]), ("i-", 0, -1, [-1, 0, 0]), ("j", 1, 1, [0, 1, 0]),
    ("j-", 1, -1, [0, -1, 0]), ("k", 2, 1, [0, 0, 1]), ("k-", 2, -1, [0, 0, -1])])
def test_each_phase_encoding_direction(tmp_path, code, axis, sign, vector):
    path = sidecar(tmp_path, PhaseEncodingDirection=code, TotalReadoutTime=0.0245)
    acq = read_acquisition(path, SHAPE)
    assert acq == Acquisition(axis, sign, 0.0245, str(path))
    assert acq.code == code and acq.fsl_vector == vector and PE_AXES[code[0]] == axis


def test_total_readout_time_wins_over_echo_spacing(tmp_path):
    path = sidecar(tmp_path, PhaseEncodingDirection="j-", TotalReadoutTime=0.05, EffectiveEchoSpacing=0.00069)
    assert read_acquisition(path, SHAPE).readout_s == 0.05


def test_echo_spacing_fallback_uses_the_pe_axis_length(tmp_path):
    path = sidecar(tmp_path, PhaseEncodingDirection="j-", EffectiveEchoSpacing=0.00069)
    assert read_acquisition(path, SHAPE).readout_s == pytest.approx(0.00069 * (112 - 1))  # 0.07659 s
    path = sidecar(tmp_path, PhaseEncodingDirection="i", EffectiveEchoSpacing=0.00069)
    assert read_acquisition(path, SHAPE).readout_s == pytest.approx(0.00069 * (96 - 1))


@pytest.mark.parametrize("meta, words", [
    ({"TotalReadoutTime": 0.05}, ["PhaseEncodingDirection", "add it"]),
    ({"PhaseEncodingDirection": "y-", "TotalReadoutTime": 0.05}, ["'y-'", "one of i, j, k"]),
    ({"PhaseEncodingDirection": "j-"}, ["TotalReadoutTime", "EffectiveEchoSpacing", "dcm2niix"]),
    ({"PhaseEncodingDirection": "j-", "TotalReadoutTime": 49.0}, ["49.0", "0.005-0.25 s", "dcm2niix"]),
    ({"PhaseEncodingDirection": "j-", "TotalReadoutTime": 0.0}, ["0.0", "set TotalReadoutTime (s)"]),
    ({"PhaseEncodingDirection": "j-", "TotalReadoutTime": "0.05"}, ["'0.05'", "set TotalReadoutTime (s)"]),
    ({"PhaseEncodingDirection": "j-", "EffectiveEchoSpacing": 0.69}, ["0.69", "76.59", "seconds"]),
])
def test_each_error_names_the_file_the_value_and_the_fix(tmp_path, meta, words):
    path = sidecar(tmp_path, "sub-01_ses-pre_dir-AP_dwi.json", **meta)
    with pytest.raises(ValueError) as err:
        read_acquisition(path, SHAPE)
    assert str(path) in str(err.value)
    for word in words:
        assert word in str(err.value)


def test_readout_range_is_seconds():
    assert READOUT_RANGE_S == (0.005, 0.25)


def ap_pa(tmp_path):
    paths = [sidecar(tmp_path, f"{name}.json", PhaseEncodingDirection=code, TotalReadoutTime=0.0245)
             for name, code in [("ap", "j-"), ("pa", "j")]]
    return tuple(read_acquisition(path, SHAPE) for path in paths)


def test_fsl_rows_and_index_for_an_ap_pa_pair(tmp_path):
    ap, pa = ap_pa(tmp_path)
    assert acqparams_rows([ap, pa]) == ["0 -1 0 0.0245", "0 1 0 0.0245"]
    assert acqparams_rows([ap, ap]) == ["0 -1 0 0.0245"]
    assert index_column([ap, pa], [14, 14]) == [1] * 14 + [2] * 14
    assert index_column([pa, ap, pa], [2, 1, 2]) == [1, 1, 2, 1, 1]


def test_write_fsl_files(tmp_path):
    ap, pa = ap_pa(tmp_path)
    files = [tmp_path / n for n in ("acqparams.txt", "index.txt", "datain.txt")]
    write_fsl_files([ap, pa], [14, 14], *files, n_b0=[2, 1])
    assert files[0].read_text() == "0 -1 0 0.0245\n0 1 0 0.0245\n"
    assert files[1].read_text() == " ".join(["1"] * 14 + ["2"] * 14) + "\n"
    assert files[2].read_text() == "0 -1 0 0.0245\n0 -1 0 0.0245\n0 1 0 0.0245\n"
    with pytest.raises(ValueError, match="one b0 count per series"):
        write_fsl_files([ap, pa], [14, 14], *files)


def test_readout_is_written_with_six_significant_digits(tmp_path):
    acq = Acquisition(1, -1, 0.0765900000001, "x.json")
    assert acqparams_rows([acq]) == ["0 -1 0 0.07659"]


def test_check_pair(tmp_path):
    ap, pa = ap_pa(tmp_path)
    check_pair([ap, pa])
    check_pair([ap, Acquisition(1, 1, 0.0246, "pa.json")])  # 0.4 % apart
    for bad, why in [(Acquisition(1, -1, 0.0245, "pa.json"), "opposite signs"),
                     (Acquisition(0, 1, 0.0245, "pa.json"), "same phase-encoding axis"),
                     (Acquisition(1, 1, 0.03, "pa.json"), "differ by more than 1 %")]:
        with pytest.raises(ValueError, match=why) as err:
            check_pair([ap, bad])
        assert ap.source in str(err.value) and "pa.json" in str(err.value)
    with pytest.raises(ValueError, match="two"):
        check_pair([ap])
