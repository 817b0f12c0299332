"""Seconds per subject of `trialmri synth`, per arm, for the tiny and study presets.

Writes one subject per arm (and group) to a temporary folder and prints the time; the whole-study
estimate is that times the preset's subject count. There is no peer program to compare with: this
is a budget for planning `--preset study` runs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from trialmri.synth import get_preset, synthesize


def time_one(preset_name: str) -> None:
    base = get_preset(preset_name)
    one = get_preset(preset_name, dti_groups={"ketamine": 1, "vehicle": 1}, rs_groups={"HV": 1, "TRD": 1},
                     rs_missing={"HV": 0, "TRD": 0})
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        synthesize(Path(tmp) / "bids", one, seed=1)
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 1e6
    n = sum(base.dti_groups.values()) + sum(base.rs_groups.values())
    print(f"{preset_name:6s}: 2 DTI + 2 rsfMRI subjects in {seconds:6.1f} s, {size:7.1f} MB "
          f"-> full preset ({n} subjects) ~ {seconds / 4 * n / 60:5.1f} min, ~ {size / 4 * n / 1e3:5.1f} GB")


if __name__ == "__main__":
    for name in ("tiny", "study"):
        time_one(name)
