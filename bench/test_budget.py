"""What each test tier costs: wall time and test count per tier (tests/unit, tests/workflow,
tests/accuracy), so a change can see what it adds to `make test` (budget: unit <= 3 min, the whole
suite <= 30 min on 2 cores, install included).

Two ways:

- ``python bench/test_budget.py --run [TIER ...]``: runs each tier on its own (one pytest process,
  one after the other) and prints its wall time, test count and outcome;
- ``python bench/test_budget.py [JUNIT]`` (default ``.pytest-junit.xml``, written by ``make test``):
  per tier, the summed time of its tests (setup, call and teardown) in that run. The tiers ran side
  by side in xdist workers, so these are each tier's busy time, not the suite's wall time; the
  slowest tests come last.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("unit", "workflow", "accuracy")
BUDGET_S = {"unit": 180}


def run_tier(tier: str) -> tuple[float, str]:
    """Wall time (s) of ``pytest tests/<tier>`` and pytest's summary line."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", f"tests/{tier}", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    lines = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return wall, (lines[-1].strip("= ") if lines else f"exit {proc.returncode}")


def from_junit(path: Path, slowest: int = 5) -> None:
    cases = ET.parse(path).getroot().iter("testcase")
    busy, count, tests = defaultdict(float), defaultdict(int), []
    for case in cases:
        parts = case.get("classname", "").split(".")
        tier = next((p for p in parts if p in TIERS), "other")
        seconds = float(case.get("time", 0))
        busy[tier] += seconds
        count[tier] += 1
        tests.append((seconds, f"{case.get('classname')}::{case.get('name')}"))
    print(f"{'tier':<10} {'tests':>6} {'busy s':>9}   (from {path})")
    for tier in (*TIERS, "other"):
        if count[tier]:
            print(f"{tier:<10} {count[tier]:>6} {busy[tier]:>9.0f}")
    print(f"{'all':<10} {sum(count.values()):>6} {sum(busy.values()):>9.0f}")
    print("slowest:")
    for seconds, name in sorted(tests)[-slowest:]:
        print(f"  {seconds:8.0f} s  {name}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("junit", nargs="?", type=Path, default=ROOT / ".pytest-junit.xml")
    ap.add_argument("--run", nargs="*", choices=TIERS, metavar="TIER",
                    help="run these tiers (default: all three) one after the other and time them")
    args = ap.parse_args(argv)
    if args.run is not None:
        print(f"{'tier':<10} {'wall s':>8}  result")
        for tier in args.run or TIERS:
            wall, summary = run_tier(tier)
            over = f"  (over its {BUDGET_S[tier]} s budget)" if wall > BUDGET_S.get(tier, float("inf")) else ""
            print(f"{tier:<10} {wall:>8.0f}  {summary}{over}", flush=True)
        return 0
    if not args.junit.exists():
        ap.error(f"{args.junit} not found: run `make test` first (it writes it), or use --run")
    from_junit(args.junit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
