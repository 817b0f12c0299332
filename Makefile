# The README's two commands: `make demo` and `make test`. Each creates .venv (Python >= 3.11,
# the versions pinned in requirements.lock) the first time and reuses it after.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
CORES ?= 2
SLURM_PLUGINS := snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep throttler
# Debian packages the tests use: a one-node SLURM (tests/localslurm.py) and headless Chromium
# (the report test). Installed when missing, where `make test` runs as root with apt-get.
TEST_DEBS := slurm-wlm munge chromium
# AFNI programs built from source, beside the clone (the AFNI engine's tests)
AFNI_DIR := ../shared/afni

.PHONY: demo test test-unit test-workflow test-accuracy install test-debs clean-demo lint

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trialmri needs Python >= 3.11 (snakemake 9); set PYTHON=python3.11")'
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	# Snakemake's SLURM executor. --no-deps: its numpy>=2.4.5 pin (numpy serves only its optional
	# efficiency report) conflicts with antspyx's numpy<2.4; its other needs are pinned here.
	$(BIN)/python -m pip install --quiet --no-deps -c requirements.lock $(SLURM_PLUGINS)
	touch $@

# Synthetic tiny trial (written once to demo/bids) -> workflow -> demo/results and demo/report.html
demo: $(STAMP)
	test -f demo/bids/dataset_description.json || $(BIN)/trialmri synth --preset tiny --seed 1 --out demo/bids
	$(BIN)/snakemake --profile profiles/local --configfile config/demo.yaml --cores $(CORES)
	$(BIN)/snakemake --configfile config/demo.yaml --report demo/report.html
	@echo "demo done: results in demo/results, report in demo/report.html"

# The whole suite: lint, then the three tiers (tests/unit, tests/workflow, tests/accuracy) in
# $(CORES) pytest-xdist workers: the workflow tier is one unit of work, every other module one, the
# longest first (tests/conftest.py). Per-test times in the --durations table; per-tier times from the JUnit
# file: python bench/test_budget.py.
test: $(STAMP) test-debs lint
	$(BIN)/python -m pytest -n $(CORES) --junitxml=.pytest-junit.xml

# The lane to run while working (no Snakemake, no synthetic dataset): a few minutes.
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-workflow: $(STAMP) test-debs
	$(BIN)/python -m pytest tests/workflow

test-accuracy: $(STAMP)
	$(BIN)/python -m pytest tests/accuracy

test-debs:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages for the tests: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else echo "not root with apt-get: the SLURM and report-rendering tests skip unless $(TEST_DEBS) are installed"; fi
	@# real AFNI for the AFNI engine's tests (tests/afni_dataset.py): its runtime packages, when ../shared/afni is there
	@if [ -f $(AFNI_DIR)/install.sh ]; then bash $(AFNI_DIR)/install.sh --quiet $$([ "$$(id -u)" = 0 ] || echo --no-apt) >/dev/null \
	  || echo "AFNI's install.sh failed: the AFNI engine's tests will fail"; \
	else echo "no $(AFNI_DIR): the AFNI engine's tests skip"; fi

clean-demo:
	rm -rf demo

# The Snakemake workflow catalog's checks, as it runs them on a fresh clone (no dataset needed):
# Snakemake's linter with the default config/config.yaml, and snakefmt on every Snakefile and .smk.
lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check .
	$(BIN)/lint-imports --no-cache  # the package's layers (.importlinter, CONTRIBUTING.md)
