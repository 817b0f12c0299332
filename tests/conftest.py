"""Test tiers, one folder each; a test's folder is its tier and gives it that marker:

- ``unit/``: no Snakemake and no synthetic dataset, only arrays and small files made in the test
  (``make test-unit``, a few minutes: the lane to run while working);
- ``workflow/``: Snakemake runs, dry and real, on the tiny synthetic trial: outputs, new and broken
  subjects, kill and resume through SLURM, the report in Chromium;
- ``accuracy/``: planted truth recovered at the study's geometry, and the reference comparisons
  (R, MRtrix3, brute-force simulation).

``make test`` runs the three in two pytest-xdist workers: the workflow tier is one unit of work
(its tests share one synthetic trial and its first run, see workflow/conftest.py), every other
module is one of its own (module fixtures are computed once), and the longest units start first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "workflow", "accuracy")
# Started first, in this order, when the tiers run in parallel workers: the longest chains.
FIRST = ("workflow", "tests/accuracy/test_dti_accuracy.py")


def tier(item: pytest.Item) -> str:
    folder = Path(item.path).parent.name
    if folder not in TIERS:
        raise pytest.UsageError(f"{item.nodeid}: every test lives in one tier folder, tests/{{{','.join(TIERS)}}}/")
    return folder


def unit_of_work(nodeid: str) -> str:
    """What one xdist worker runs whole: the workflow tier, else the test's module."""
    path = nodeid.split("::", 1)[0]
    return "workflow" if Path(path).parent.name == "workflow" else path


def pytest_itemcollected(item):
    item.add_marker(getattr(pytest.mark, tier(item)))


def pytest_collection_modifyitems(config, items):
    """The longest units first (FIRST), the rest in file order."""
    def rank(item):
        unit = unit_of_work(item.nodeid)
        return next((i for i, first in enumerate(FIRST) if unit.endswith(first)), len(FIRST))
    items.sort(key=rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's load-by-scope scheduling with our units of work (xdist's own loadgroup marks do not
    group under pytest 9, whose node ids it can no longer rewrite), in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class TierScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of_work(nodeid)

    config.option.loadscopereorder = False
    return TierScheduling(config, log)
