# spamlab: `make analysis` runs the Rustock analysis; `make test` runs the tests.
# Both bootstrap .venv/ from constraints.txt on first use (idempotent afterwards).
# `make help` lists every target.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.spamlab-installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv analysis lab my-notebooks test test-truth test-fast bench lint notebooks environment clean-reports docs

help: ## list the targets
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,docs]"
	@# rfc3987-syntax (an optional IRI checker that jupyter-events asks jsonschema for) builds a
	@# grammar on import: 2-3 s in every process that loads nbformat (papermill, nbconvert,
	@# jupytext, JupyterLab). Nothing here validates IRIs; without it jsonschema skips that format.
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax
	@touch $(STAMP)

venv: $(STAMP) ## create .venv/ and install spamlab with pinned dependencies

analysis: $(STAMP) ## run the default Rustock analysis into reports/rustock/ (and the sample export's 05)
	$(VENV)/bin/spamlab run
	$(VENV)/bin/spamlab run --data data/sample/mailserver_daily.csv --date-col Date \
		--value-col Total --interruption "2011-03-16 14:45" --only 05 --name mailserver-sample

# JupyterLab from .venv on the project's kernel "spamlab"; jupyter/lab/settings/overrides.json makes
# jupytext the default viewer of .py files, so a double-click opens notebooks/*.py as a notebook.
LAB_ARGS ?=
lab: $(STAMP) ## start JupyterLab (kernel "spamlab"); double-click a notebooks/*.py to open it
	$(PY) -m ipykernel install --sys-prefix --name spamlab --display-name "Python (spamlab)" >/dev/null
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.app_settings_dir="$(CURDIR)/jupyter/lab/settings" \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Your own parameters go into copies that git ignores, so the tracked notebooks stay as they are.
my-notebooks: ## copy notebooks/*.py to my-notebooks/ (git-ignored) to set your own parameters there
	@mkdir -p my-notebooks
	@for f in notebooks/[0-9]*.py; do t="my-notebooks/$$(basename $$f)"; \
		if [ -e "$$t" ]; then echo "kept $$t (yours)"; else cp "$$f" "$$t" && echo "copied $$t"; fi; \
	done

test: $(STAMP) ## run the whole test suite (unit, recovery, reference, notebooks)
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-truth: $(STAMP) ## the end-to-end truth test on all 20 seeds (make test runs 10)
	SPAMLAB_TRUTH_SEEDS=20 $(PY) -m pytest -n 2 --dist loadgroup tests/truth $(PYTEST_ARGS)

test-fast: $(STAMP) ## the test suite without the slow Monte Carlo tests
	$(PY) -m pytest -n 2 --dist loadgroup -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP) ## run the benchmarks in benchmarks/ (not part of CI)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: $(STAMP) ## ruff over the library, tests and notebooks; mypy over src/
	$(VENV)/bin/ruff check src tests notebooks benchmarks tools
	$(VENV)/bin/mypy

notebooks: $(STAMP) ## regenerate notebooks/*.ipynb from the jupytext .py sources
	$(VENV)/bin/jupytext --to ipynb notebooks/[0-9]*.py

environment: $(STAMP) ## regenerate environment.yml from pyproject.toml
	$(PY) tools/write_environment.py > environment.yml

# The site renders executed notebooks (execution off in Sphinx): tools/docs_notebooks.py copies them
# from reports/rustock/ and reports/mailserver-sample/ when they are newer than their sources, else
# runs `make analysis` first (DOCS_NOTEBOOKS=--stale-ok takes older copies; --unexecuted renders
# missing ones without outputs). Offline: no intersphinx, no CDN assets. Warnings are printed, not fatal.
DOCS_NOTEBOOKS ?=
DOCS_ARGS ?=
docs: $(STAMP) ## build the documentation site into docs/_build/html (runs the analysis first if stale)
	$(PY) tools/docs_notebooks.py --make "$(MAKE)" $(DOCS_NOTEBOOKS)
	rm -rf docs/api/generated
	$(VENV)/bin/sphinx-build -b html -q docs docs/_build/html $(DOCS_ARGS)
	@echo "docs: open docs/_build/html/index.html"

clean-reports: ## delete generated reports/
	rm -rf reports/*
