# The front door. Two commands from a fresh clone:
#   make report   install everything, then run the October 2015 edition on the synthetic extract
#   make test     install everything, then lint and run every test (CI runs exactly this)
# While working, `make test-fast` leaves out the tests marked slow (Papermill, nbval) or needing
# reference data (IMD 2015), and says how long it took.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EDITION ?= config/editions/board-2015-10.yaml
CODE   := $(wildcard src tests notebooks benchmarks)
# The kernel keeps the name python3 (the notebooks, nbval and Papermill ask for it by that name);
# its display name tells the analyst in JupyterLab which environment it runs in, and is the one
# the committed notebooks name (helpers.dev.notebooks.KERNELSPEC), so that they open unmodified.
KERNEL_DISPLAY_NAME := Early Help reporting
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser --port=8899".
LAB_ARGS ?=
# Jupyter refuses to start as root unless told to; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install report lab test test-fast lint format synthetic boundaries notebooks bench clean help

help:
	@echo "make report     install and run the October 2015 edition (reports/board-2015-10/)"
	@echo "make lab        install and open JupyterLab on the repository, with the project's kernel"
	@echo "make test       install, lint and run all tests (unit, golden, notebooks, HTML)"
	@echo "make test-fast  lint and run the tests not marked slow or reference (a few minutes)"
	@echo "make synthetic  regenerate the synthetic extract (needs IMD 2015)"
	@echo "make boundaries rebuild the committed LSOA boundary extract"
	@echo "make notebooks  re-execute the committed notebooks on the synthetic extract"
	@echo "make format     format code and notebooks with ruff"

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
		--display-name "$(KERNEL_DISPLAY_NAME)" >/dev/null
	@# The hook that keeps real data out of git (.pre-commit-config.yaml); only in a checkout.
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		$(BIN)/pre-commit install; \
	else echo "not a git checkout: the pre-commit hook was not installed"; fi
	touch $(STAMP)

install: $(STAMP)

report: install
	$(BIN)/python -m helpers.batch --edition $(EDITION)

# JUPYTER_PATH puts the project's kernel (.venv/share/jupyter) ahead of any python3 kernel in the
# user's own Jupyter folder, which would otherwise shadow it and run another Python.
lab: install
	@# JupyterLab otherwise asks to fetch news from the internet; council networks are often
	@# offline or filtered, and the analyst's lab should reach no outside host unasked.
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp config/jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter" $(BIN)/jupyter lab \
		--notebook-dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT) $(LAB_ARGS)

lint: install
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

test: install lint
	$(BIN)/python -m helpers.dev.browser --ensure
	$(BIN)/python -m helpers.dev.postgres --ensure
	$(BIN)/pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

test-fast: install lint
	@start=$$(date +%s); \
	$(BIN)/pytest -m "not slow and not reference" tests; status=$$?; \
	echo "make test-fast took $$(( $$(date +%s) - start )) s (left out: tests marked slow or reference; make test runs everything)"; \
	exit $$status

format: install
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

notebooks: install
	$(BIN)/python -m helpers.dev.notebooks

synthetic: install
	$(BIN)/python -m helpers.dev.synthetic

boundaries: install
	$(BIN)/python -c "from helpers.reference import rebuild_lsoa_boundaries as r; print(r())"

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) data/processed/*.parquet reports/*/
