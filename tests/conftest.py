"""Test tiers, one folder each; a test's folder is its tier and gives it that marker:

- ``unit/``: no Snakemake and no synthetic dataset, only arrays and small files made in the test
  (``make test-unit``, a few minutes: the lane to run while working);
- ``workflow/``: Snakemake runs, dry and real, on the tiny synthetic trial: outputs, new and broken
  subjects, kill and resume through SLURM, the report in Chromium;
- ``accuracy/``: planted truth recovered at the study's geometry, and the reference comparisons
  (R, MRtrix3, brute-force simulation).

``make test`` runs the three in two pytest-xdist workers: the workflow tier is one xdist group (its
tests share one synthetic trial and its first run, see workflow/conftest.py), every other module is
a group of its own (module fixtures are computed once), and the longest groups start first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "workflow", "accuracy")
# Started first, in this order, when the tiers run in parallel workers: the longest chains.
FIRST = ("workflow", "accuracy/test_dti_accuracy.py")


def tier(item: pytest.Item) -> str:
    folder = Path(item.path).parent.name
    if folder not in TIERS:
        raise pytest.UsageError(f"{item.nodeid}: every test lives in one tier folder, tests/{{{','.join(TIERS)}}}/")
    return folder


def group(item: pytest.Item) -> str:
    """The xdist group: the whole workflow tier, else the test's module."""
    return "workflow" if tier(item) == "workflow" else f"{tier(item)}/{Path(item.path).name}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(getattr(pytest.mark, tier(item)))
        item.add_marker(pytest.mark.xdist_group(group(item)))
    items.sort(key=lambda item: FIRST.index(group(item)) if group(item) in FIRST else len(FIRST))
