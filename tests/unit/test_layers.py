"""The package's layers (.importlinter): every import runs down or sideways within a layer that
allows it, never up, and the two arms (dwi, fc) never import each other. The contract is checked on
the package as it is, and shown to catch a planted upward and a planted sideways import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the repository's contract on the ``trialmri`` under ``package_parent``."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
                          cwd=package_parent, env=env, capture_output=True, text=True)


def test_the_package_keeps_its_layers():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize("module, planted, shown", [
    # sideways: one arm importing the other
    ("dwi/tensor.py", "from trialmri.fc import confounds", "trialmri.dwi.tensor -> trialmri.fc.confounds"),
    # upward, inside a function (a lazy import counts)
    ("stats/ols.py", "def _later():\n    from trialmri.lme import reml", "trialmri.stats.ols -> trialmri.lme.reml"),
    # the ground floor using a layer above it
    ("tables.py", "from trialmri.bids import naming", "trialmri.tables -> trialmri.bids.naming"),
])
def test_the_contract_catches_a_wrong_import(tmp_path, module, planted, shown):
    shutil.copytree(ROOT / "trialmri", tmp_path / "trialmri", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "trialmri" / module
    target.write_text(target.read_text() + "\n\n" + planted + "\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout and shown in done.stdout, done.stdout
