"""AFNI engine of the seed maps (``3dNetCorr -fish_z -ts_wb_Z -nifti``), without AFNI: the command
line word by word, and the conversion run on outputs laid out as 3dNetCorr writes them (file names
and .netcc text format from AFNI's ``src/ptaylor/3dNetCorr.c`` and ``WB_netw_corr``; see
``trialmri.fc.afni_commands``). Real 3dNetCorr output is converted and compared in
tests/workflow/test_afni_engines.py.
"""

from __future__ import annotations

import shlex

import nibabel as nib
import numpy as np
import pytest

from trialmri.fc import afni_commands as AFNI, afni_outputs as AFNI_OUT
from trialmri.fc.netcorr import netcc_table
from trialmri.tables import read_tsv

# A 3-ROI network with labels 1, 2 and 7 and no label table, printed with 3dNetCorr.c's own formats
# (afni/afni src/ptaylor/3dNetCorr.c: "# %d  # Number of network ROIs", "# WITH_ROI_LABELS",
# " %10s \t" names ("%03d" of the label without a label table, Fat_Labels.c), " %10d \t" labels,
# "%12.4f\t" values; FZ = atanh(r) with the diagonal at AFNI's cap, 4).
NETCC = (
    "# 3  # Number of network ROIs\n"
    "# 2  # Number of netcc matrices\n"
    "# WITH_ROI_LABELS\n"
    "        001 \t        002 \t         007\n"
    "          1 \t          2 \t           7\n"
    "# CC\n"
    "      1.0000\t      0.5213\t     -0.1337\n"
    "      0.5213\t      1.0000\t      0.0842\n"
    "     -0.1337\t      0.0842\t      1.0000\n"
    "# FZ\n"
    "      4.0000\t      0.5781\t     -0.1345\n"
    "      0.5781\t      4.0000\t      0.0844\n"
    "     -0.1345\t      0.0844\t      4.0000\n"
)
# The Jan-2014 layout (3dNetCorr.c of that date): no name line, "%8d    \t" labels
NETCC_2014 = (
    "# 2  # Number of network ROIs\n"
    "# 1  # Number of matrices\n"
    "       3    \t       5\n"
    "# CC\n"
    "      1.0000\t      0.2500\n"
    "      0.2500\t      1.0000\n"
)
R = np.array([[1.0, 0.5213, -0.1337], [0.5213, 1.0, 0.0842], [-0.1337, 0.0842, 1.0]])
FZ = np.array([[4.0, 0.5781, -0.1345], [0.5781, 4.0, 0.0844], [-0.1345, 0.0844, 4.0]])
NAMES = {1: "PCC", 2: "mPFC", 7: "LIPL"}


def words(cmd: str) -> list[str]:
    return shlex.split(cmd)


def option(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, argv
    return argv[argv.index(flag) + 1]


# --- command line -----------------------------------------------------------------------------

def test_command_has_every_option_with_its_value():
    argv = words(AFNI.netcorr_command("bold.nii.gz", "rois.nii.gz", "mask.nii.gz", "out/sub-01_netcorr"))
    assert argv[0] == "3dNetCorr"
    assert {"-fish_z", "-ts_wb_Z", "-nifti"} <= set(argv)
    assert option(argv, "-inset") == "bold.nii.gz"
    assert option(argv, "-in_rois") == "rois.nii.gz"
    assert option(argv, "-mask") == "mask.nii.gz"
    assert option(argv, "-prefix") == "out/sub-01_netcorr"
    assert len(argv) == 12  # 3dNetCorr, 4 options with values, 3 switches: nothing else


def test_snakemake_placeholders_stay_intact_for_snakemake_to_quote():
    cmd = AFNI.netcorr_command("{input.bold}", "{input.rois}", "{input.mask}", "{params.prefix}")
    for placeholder in ("-inset {input.bold:q}", "-in_rois {input.rois:q}", "-mask {input.mask:q}",
                        "-prefix {params.prefix:q}"):  # :q: Snakemake shell-quotes the path it fills in
        assert placeholder in cmd
    assert "'" not in cmd and '"' not in cmd
    assert "trialmri_netcorr_" not in cmd  # no stand-in file left behind in the command


def test_paths_with_spaces_and_quotes_are_shell_quoted():
    bold = "/data/my study/sub-01 bold.nii.gz"
    prefix = "/out/it's here/sub-01"
    cmd = AFNI.netcorr_command(bold, "rois.nii.gz", "{input.mask}", prefix)
    argv = words(cmd)
    assert option(argv, "-inset") == bold
    assert option(argv, "-prefix") == prefix
    assert option(argv, "-mask") == "{input.mask:q}"
    assert shlex.quote(bold) in cmd and shlex.quote(prefix) in cmd


def test_output_names_follow_3dnetcorr():
    assert AFNI.netcc_file("d/P") == "d/P_000.netcc"
    assert AFNI.wb_z_file("d/P", 7) == "d/P_000_INDIV/WB_Z_ROI_007.nii.gz"
    assert AFNI.wb_z_file("d/P", 1001) == "d/P_000_INDIV/WB_Z_ROI_1001.nii.gz"  # %03d pads, never cuts


# --- .netcc -----------------------------------------------------------------------------------

def test_read_netcc_gives_labelled_matrices(tmp_path):
    path = tmp_path / "P_000.netcc"
    path.write_text(NETCC)
    m = AFNI_OUT.read_netcc(path)
    assert list(m) == ["CC", "FZ"]
    for name, expected in (("CC", R), ("FZ", FZ)):
        assert list(m[name].index) == [1, 2, 7] and list(m[name].columns) == [1, 2, 7]
        np.testing.assert_array_equal(m[name].to_numpy(), expected)
    assert m["CC"].loc[2, 7] == 0.0842
    assert m["CC"].attrs["names"] == ["001", "002", "007"]


def test_read_netcc_with_label_table_names_and_old_layout(tmp_path):
    named = NETCC.replace("        001 \t        002 \t         007",
                          "        PCC \t   L mPFC  \t  L-IPL")
    (tmp_path / "a.netcc").write_text(named)
    assert AFNI_OUT.read_netcc(tmp_path / "a.netcc")["FZ"].attrs["names"] == ["PCC", "L mPFC", "L-IPL"]
    (tmp_path / "old.netcc").write_text(NETCC_2014)
    old = AFNI_OUT.read_netcc(tmp_path / "old.netcc")
    assert list(old) == ["CC"] and list(old["CC"].index) == [3, 5] and old["CC"].loc[3, 5] == 0.25


@pytest.mark.parametrize("text, message", [
    ("", "Number of network ROIs"),
    (NETCC.replace("# 3  # Number of network ROIs", "# 4  # Number of network ROIs"), "4 ROIs"),
    (NETCC.rsplit("\n", 2)[0] + "\n", "not 3 x 3"),                     # truncated FZ
    (NETCC.replace("0.0842\t      1.0000", "0.0842\t      nan?"), "non-numeric"),
    (NETCC.replace("# 2  # Number of netcc", "# 3  # Number of netcc"), "3 matrices"),
])
def test_read_netcc_rejects_malformed_files_naming_them(tmp_path, text, message):
    path = tmp_path / "bad.netcc"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        AFNI_OUT.read_netcc(path)
    assert str(path) in str(err.value)


# --- conversion -------------------------------------------------------------------------------

def _afni_outputs(tmp_path, labels=(1, 2, 7)):
    """P_000.netcc and P_000_INDIV/WB_Z_ROI_<NNN>.nii.gz as 3dNetCorr -nifti leaves them."""
    prefix = str(tmp_path / "afni" / "P")
    (tmp_path / "afni" / "P_000_INDIV").mkdir(parents=True)
    (tmp_path / "afni" / "P_000.netcc").write_text(NETCC)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    rng = np.random.default_rng(0)
    maps = {}
    for label in labels:
        z = np.zeros((4, 5, 3), np.float32)
        z[1:3, 1:4, :] = rng.uniform(-4, 4, (2, 3, 3)).astype(np.float32)
        nib.save(nib.Nifti1Image(z, affine), AFNI.wb_z_file(prefix, label))
        maps[label] = z
    return prefix, maps, affine


def test_conversion_writes_z_maps_and_table_in_our_layout(tmp_path):
    prefix, maps, affine = _afni_outputs(tmp_path)
    z_paths = {name: str(tmp_path / "ours" / f"roi-{name}_z.nii.gz") for name in NAMES.values()}
    table_path = tmp_path / "ours" / "netcc.tsv"
    AFNI_OUT.convert_netcorr_outputs(prefix, NAMES, z_paths, table_path)

    for label, name in NAMES.items():
        img = nib.load(z_paths[name])
        assert img.get_data_dtype() == np.float32
        np.testing.assert_array_equal(np.asarray(img.dataobj), maps[label])
        np.testing.assert_allclose(img.affine, affine)

    table = read_tsv(table_path)
    names = list(NAMES.values())
    native = netcc_table(names, R, np.arctanh(np.clip(R, -0.999329, 0.999329)))
    assert list(table.columns) == list(native.columns) == ["stat", "roi", *names]
    assert list(table["stat"]) == ["r"] * 3 + ["z"] * 3 and list(table["roi"]) == names * 2
    np.testing.assert_allclose(table[names].to_numpy()[:3], R)
    z = table[names].to_numpy()[3:]
    assert np.isnan(np.diag(z)).all()
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(z[off], FZ[off])
    assert "n/a" in table_path.read_text()  # the z diagonal, as write_tsv writes missing values


def test_conversion_of_a_subset_of_rois(tmp_path):
    prefix, maps, _ = _afni_outputs(tmp_path)
    z_paths = {"LIPL": str(tmp_path / "lipl.nii.gz")}
    AFNI_OUT.convert_netcorr_outputs(prefix, NAMES, z_paths, tmp_path / "netcc.tsv")
    np.testing.assert_array_equal(np.asarray(nib.load(z_paths["LIPL"]).dataobj), maps[7])


def test_missing_wb_map_raises_naming_it(tmp_path):
    prefix, _, _ = _afni_outputs(tmp_path, labels=(1, 2))
    z_paths = {name: str(tmp_path / f"{name}.nii.gz") for name in NAMES.values()}
    with pytest.raises(ValueError, match=r"WB_Z_ROI_007\.nii\.gz.*LIPL"):
        AFNI_OUT.convert_netcorr_outputs(prefix, NAMES, z_paths, tmp_path / "netcc.tsv")


def test_missing_netcc_or_fz_or_name_raises(tmp_path):
    z_paths = {name: str(tmp_path / f"{name}.nii.gz") for name in NAMES.values()}
    with pytest.raises(ValueError, match=r"nothing_000\.netcc"):
        AFNI_OUT.convert_netcorr_outputs(str(tmp_path / "nothing"), NAMES, z_paths, tmp_path / "t.tsv")
    prefix, _, _ = _afni_outputs(tmp_path)
    with pytest.raises(ValueError, match=r"label\(s\) \[7\]"):
        AFNI_OUT.convert_netcorr_outputs(prefix, {1: "PCC", 2: "mPFC"}, {}, tmp_path / "t.tsv")
    (tmp_path / "afni" / "P_000.netcc").write_text(NETCC.split("# FZ")[0].replace("# 2  #", "# 1  #"))
    with pytest.raises(ValueError, match="-fish_z"):
        AFNI_OUT.convert_netcorr_outputs(prefix, NAMES, z_paths, tmp_path / "t.tsv")
