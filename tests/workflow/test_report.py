"""`snakemake --report` on the tiny trial: every registered figure and table, the provenance page,
and the page as headless Chromium renders it (DOM and a screenshot)."""

import html
import json
import re
import shutil
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT, snakemake

CATEGORIES = ["Inputs", "Provenance", "DTI corrections", "DTI subject level", "DTI group", "rsfMRI subject level",
              "rsfMRI group level", "rsfMRI ROI follow-ups"]
# --disable-dev-shm-usage: containers often mount a 64 MB /dev/shm, too small for a 30 MB page.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]


@pytest.fixture(scope="module")
def report(first_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    snakemake(first_run, "--report", path)
    return path


def rules_text() -> str:
    return "".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.smk")))


# A report entry is declared by Snakemake's report(...) or by one of the helpers of rules/common.smk
# that return one (in_report, session_report, dti_group_report, ...: every name ending in report).
REPORT_CALL = re.compile(r"\b\w*report\(")


def declarations() -> str:
    """The rules' text without the report helpers' own definitions (a helper calling another is
    not one more output)."""
    return re.sub(r"^def \w*report\(.*?(?=^\S)", "", rules_text(), flags=re.M | re.S)


def registered_outputs() -> int:
    """How many report outputs the rules and their output helpers declare."""
    return len(REPORT_CALL.findall(declarations()))


def rules_declaring_report_outputs() -> set[str]:
    """Rules whose output directive declares a report output, itself or through a module-level
    constant of outputs it names (``**SEED_MAP_OUTPUTS``, ``fd_figure=FD_FIGURE``; function helpers
    in common.smk not followed)."""
    text = declarations()
    constants = {m[1] for m in re.finditer(r"^[ \t]*([A-Z][A-Z0-9_]*) = (.*?)(?=^\S)", text, flags=re.M | re.S)
                 if REPORT_CALL.search(m[2])}
    # a rule's output directive: from "output:" to the rule's next directive or the rule's end
    outputs = re.findall(r"^(?:rule|checkpoint) (\w+):\n(?:    \w.*\n|        .*\n|\s*\n)*?    output:\n"
                         r"((?:        .*\n|\s*\n)*)", text, flags=re.M)
    return {name for name, block in outputs
            if REPORT_CALL.search(block) or any(re.search(rf"\b{c}\b", block) for c in constants)}


def report_entries(html: str) -> dict:
    """The report's result entries (Snakemake embeds them as ``var results = {...};``)."""
    found = re.search(r"var results = (\{.*?\});\s*\n", html, re.S)
    assert found, "no results table in the report"
    return json.loads(found[1])


def test_provenance_page_names_versions_engines_config_exclusions_and_qc(first_run):
    page = (first_run / "results" / "provenance.html").read_text()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for step in ("diffusion tensor", "voxelwise mixed model", "cluster-size simulation", "registration"):
        assert f"<td>{step}</td>" in page, step
    assert "trialmri 0." in page and "antspyx " in page and "statsmodels " in page
    as_run = yaml.safe_load(html.unescape(re.search(r"<pre>(.*?)</pre>", page, re.S)[1]))
    assert as_run["bids_dir"] == str(first_run / "bids")  # the config as run, with this run's paths
    assert f"iterations: {1000}" in page and f"pthr: {config['rsfmri']['clusters']['pthr']}" in page
    exclusions = pd.read_csv(first_run / "results" / "exclusions.tsv", sep="\t")
    for reason in exclusions["reason"]:
        assert reason.replace("'", "&#x27;") in page or reason in page, reason
    qc = pd.read_csv(first_run / "results" / "input_qc.tsv", sep="\t")
    assert f"{len(qc)} checks" in page


def test_report_holds_every_category_and_renders_in_headless_chromium(report, first_run, tmp_path):
    html = report.read_text()
    assert len(html) > 100_000
    for category in CATEGORIES:
        assert category in html, category
    assert html.count("provenance.html") >= 1
    entries = report_entries(html)
    assert len(entries) >= registered_outputs()  # each declared output: at least one entry
    assert all(e["caption"].strip() for e in entries.values()), [k for k, e in entries.items() if not e["caption"]]
    ran = {p.name for p in (first_run / "results" / "benchmarks").iterdir()}
    in_report = {e["job_properties"]["rule"] for e in entries.values()}
    assert rules_declaring_report_outputs() & ran <= in_report, (rules_declaring_report_outputs() & ran) - in_report
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it where it runs as root)")
    profile = tmp_path / "profile"
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000",
              "--virtual-time-budget=20000"]
    dom = subprocess.run([*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = re.sub(r"<[^>]+>", " ", dom.stdout)
    for category in CATEGORIES:  # drawn by the report's script: the page ran, not just loaded
        assert category in rendered, category
    shot = tmp_path / "report.png"
    proc = subprocess.run([*common, f"--screenshot={shot}", report.as_uri()], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (1000, 1400)
    colours = np.unique(np.round(pixels[..., :3] * 255).reshape(-1, 3), axis=0)
    assert len(colours) > 50 and pixels[..., :3].std() > 0.05, (len(colours), pixels.std())
