# linflow: `make serve` starts the app, `make test` runs every test (both install what they need);
# `make docs` builds the documentation into docs/_build/html (warnings are errors).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: install system-deps test check docs bench load serve screenshot figures plotly-bundle clean

$(STAMP): pyproject.toml setup.py core/_flownet.h core/_flownet.c core/_flowgemm.h core/_flowgemm.c core/_flowstage.h core/_flowstage.c core/_flowkernel.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,docs]'
	@# A local MathJax for math labels in exported figures and in the docs (npm registry);
	@# without it labels fall back to Unicode and the docs' pages load MathJax from a CDN.
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --silent --prefix .cache mathjax@3.2.2 \
	  || echo "npm could not install mathjax: exported figures use Unicode labels"; \
	else echo "npm not found: exported figures use Unicode labels"; fi
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser tests need (chromium + driver); installed only when missing.
system-deps:
	@bash .ci/system-deps.sh

# pytest exits 5 when it collects no test: that is not a failure of the suite itself.
test: install system-deps
	$(PY) -m pytest -q -rs; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The site, with the API reference from the docstrings and the gallery scripts run; a warning
# fails the build. Math uses the MathJax copy the install step puts in .cache/.
docs: install
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: install
	$(PY) -m benchmarks

# A bounded load test of `linflow host` on loopback (about 15 minutes; see benchmarks/load.py).
load: install
	$(PY) -m benchmarks.load

serve: install
	$(PY) -m app --host $(HOST) --port $(PORT)

# assets/plotly-linflow.min.js: plotly.js with linflow's trace types only (needs node and npm;
# the built file is committed, so install and test do not)
plotly-bundle:
	cd app/plotly_bundle && npm ci --no-audit --no-fund && node build.js

screenshot: install system-deps
	$(PY) -m app.cli.screenshot assets

# Every figure of every preset as `linflow export` writes it, single and double column, as PNG
# rendered from the PDFs, with the docs page that shows them (docs/figures/index.rst).
figures: install system-deps
	$(PY) -m app.cli.gallery docs/figures

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .linflow-cache
	rm -rf docs/_build docs/auto_examples docs/api/generated
