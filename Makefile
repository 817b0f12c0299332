# The README's two commands: `make demo` and `make test`. Each creates .venv (Python >= 3.11,
# the versions pinned in requirements.lock) the first time and reuses it after.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
CORES ?= 2

.PHONY: demo test install clean-demo

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trialmri needs Python >= 3.11 (snakemake 9); set PYTHON=python3.11")'
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# Synthetic tiny trial (written once to demo/bids) -> workflow -> demo/results and demo/report.html
demo: $(STAMP)
	test -f demo/bids/dataset_description.json || $(BIN)/trialmri synth --preset tiny --seed 1 --out demo/bids
	$(BIN)/snakemake --profile profiles/local --configfile config/demo.yaml --cores $(CORES)
	$(BIN)/snakemake --configfile config/demo.yaml --report demo/report.html
	@echo "demo done: results in demo/results, report in demo/report.html"

test: $(STAMP)
	$(BIN)/python -m pytest

clean-demo:
	rm -rf demo
