"""The package's layers (.importlinter): every import runs down or sideways within a layer that
allows it, never up, and the two arms (dwi, fc) never import each other. The contract is checked on
the package as it is, and shown to catch planted wrong imports: sideways, upward (lazy too), out of
the ground floor, into synth, of Snakemake, and of an image library into stats."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    assert "3 kept, 0 broken" in done.stdout


PLANTED = [
    # sideways: one arm importing the other
    ("dwi/tensor.py", "from trialmri.fc import confounds", "trialmri.dwi.tensor -> trialmri.fc.confounds"),
    # upward, inside a function (a lazy import counts)
    ("stats/ols.py", "def _later():\n    from trialmri.lme import reml", "trialmri.stats.ols -> trialmri.lme.reml"),
    # the ground floor using a layer above it
    ("tables.py", "from trialmri.bids import naming", "trialmri.tables -> trialmri.bids.naming"),
    # a module below the programs using the synthetic-data generator
    ("qc/inputs.py", "from trialmri.synth import presets", "trialmri.qc.inputs -> trialmri.synth.presets"),
    # the package importing Snakemake
    ("fc/seeds.py", "import snakemake", "trialmri.fc.seeds -> snakemake"),
    # statistics loading an image library
    ("stats/winsorize.py", "import nibabel", "trialmri.stats.winsorize -> nibabel"),
]


def test_the_contract_catches_each_wrong_import(tmp_path):
    """All planted in one copy of the package (one lint run); each must be named."""
    shutil.copytree(ROOT / "trialmri", tmp_path / "trialmri", ignore=shutil.ignore_patterns("__pycache__"))
    for module, planted, _ in PLANTED:
        target = tmp_path / "trialmri" / module
        target.write_text(target.read_text() + "\n\n" + planted + "\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 kept, 3 broken" in done.stdout, done.stdout
    missed = [shown for _, _, shown in PLANTED if shown not in done.stdout]
    assert not missed, done.stdout
