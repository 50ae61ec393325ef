# The two commands of the README: `make book` and `make test`. Everything else is set-up they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   := data/synthetic

.PHONY: book test test-unit synth references clean lock bench scan chromium libreoffice audit

# Debian's Chromium prints the PDF hub packs and runs the browser tests; it is never downloaded by a test tool.
# Installed with apt-get when missing and we may (root, or sudo without a password); otherwise the book is built
# without PDFs and says so, and the browser tests skip (they fail instead when CI=1, so CI cannot pass without them).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	    echo "Chromium not found at $(CHROMIUM) and apt-get needs root: install Debian's 'chromium' package for the PDF packs and browser tests"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	    && echo "Installed $$($(CHROMIUM) --version)"; }

# Debian's LibreOffice Calc (without a GUI) recalculates the hub workbooks in a test, so their formulas are checked
# against the book's figures; installed as Chromium is: without it that test skips (and fails when CI=1).
SOFFICE ?= /usr/bin/soffice
libreoffice:
	@command -v $(SOFFICE) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	    echo "LibreOffice not found at $(SOFFICE) and apt-get needs root: install Debian's 'libreoffice-calc-nogui' package for the workbook recalculation test"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libreoffice-calc-nogui >/dev/null \
	    && echo "Installed $$($(SOFFICE) --version)"; }

# Bootstrap: a fresh venv installed from the hash-pinned lock, then the package itself (no deps, no network).
$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

# The synthetic data set is generated (deterministic, seed 2019) when it is missing or a generator changed.
SYNTH_SOURCES := $(wildcard ivanalysis/data/synth/*.py ivanalysis/data/schemas/*.py params/geography.yaml)
$(DATA)/MANIFEST.json: $(SYNTH_SOURCES) | $(STAMP)
	$(BIN)/ivanalysis synth --out $(DATA)

synth: $(DATA)/MANIFEST.json

# The audit's result goes on the build status page; a known vulnerability fails `make test` (so CI), not the book.
book: $(STAMP) $(DATA)/MANIFEST.json chromium
	-$(BIN)/ivanalysis audit
	$(BIN)/ivanalysis build

# axe-core (the accessibility engine the browser tests inject into each page), pinned by tests/browser/package-lock.json
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	@touch $@

# lint (ruff) and the import contract (layers that point one way, no cycles: pyproject's [tool.importlinter]) first;
# then the tests, spread over the cores a module (or a notebook: its cells in order, in one kernel) at a time, in
# the order collected (tests/conftest.py's FIRST, then browser and integration modules, the slowest; the many short
# ones even out the end)
test: $(STAMP) $(DATA)/MANIFEST.json chromium libreoffice $(AXE)
	$(BIN)/ruff check ivanalysis tests bench
	$(BIN)/lint-imports
	$(BIN)/ivanalysis audit
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider \
	  -n auto --dist loadscope --no-loadscope-reorder

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests -m unit -q

# Re-execute the committed reference notebooks (England, synthetic data) and store their outputs.
references: $(STAMP) $(DATA)/MANIFEST.json
	$(BIN)/ivanalysis references

# Known vulnerabilities in the pinned dependencies (pip-audit); the result goes on the build status page.
audit: $(STAMP)
	$(BIN)/ivanalysis audit

# Scan the built book for unsuppressed small counts and patient identifiers.
scan: $(STAMP)
	$(BIN)/ivanalysis scan

# The benchmark (minutes; by hand, never in CI): figures into bench/results.md.
bench: $(STAMP) $(DATA)/MANIFEST.json
	$(BIN)/python bench/run.py

# Re-pin the lock from pyproject.toml (needs pip-tools in the venv).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra test --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf _build
