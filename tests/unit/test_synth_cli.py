"""`trialmri synth` on the command line: what it refuses, and how it says so."""

import shutil

from helpers import BIN, run



def test_cli_refuses_to_overwrite_and_says_how_to_fix(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    proc = run([BIN / "trialmri", "synth", "--out", tmp_path / "x"], check=False)
    assert proc.returncode == 2 and "not empty" in proc.stderr and "--out" in proc.stderr
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"
    shutil.rmtree(tmp_path / "x")
