# The two commands of the README: `make book` and `make test`. Both set up .venv when it is missing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SCALE ?= smoke
# In development and CI the data root is the shared mirror beside the repository.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)),)
export ICLR22LIB_DATA ?= $(SHARED_DATA)
endif
export ICLR22LIB_RESULTS ?= $(abspath results)
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/notebooks/nbval_sanitize.cfg
# pytest exits 5 when it collected nothing: say so instead of passing quietly.
PYTEST_NONEMPTY = rc=0; $(1) || rc=$$?; if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; fi; exit $$rc

.PHONY: install test lint unit nbval crosscheck book-check book goldens clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# torch 2.13.0: the CPU wheel lies on this machine kind's disk; on a GPU machine install a CUDA torch first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check iclr22lib notebooks tests benchmarks tools
	# formatting is enforced too (pyproject leaves the chapters and goldens out: their cells are prose-like code)
	$(BIN)/ruff format --check iclr22lib tests benchmarks tools

# Two xdist workers on two cores: one thread each (OMP_NUM_THREADS), or torch's threads oversubscribe them.
unit: install
	@$(call PYTEST_NONEMPTY,OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 tests/unit)

# nbval re-executes the goldens (their records go to a temporary folder), then the records' metrics are
# compared with the committed ones, each within its seed-spread tolerance (results/spread/).
nbval: install
	@fresh=$$(mktemp -d); rc=0; \
	OMP_NUM_THREADS=1 ICLR22LIB_RESULTS=$$fresh $(PY) -m pytest -n 2 --dist loadscope $(NBVAL) tests/notebooks || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; fi; \
	if [ $$rc -eq 0 ]; then $(PY) -m iclr22lib.core.regression $$fresh results || rc=$$?; fi; \
	exit $$rc

# nbval on the goldens as other CPUs of this kind compute them (tools/crosscheck.py says how); not in `test`.
crosscheck: install
	$(PY) tools/crosscheck.py

book-check: install
	$(BIN)/iclr22 book --from-goldens

test: lint unit nbval book-check

goldens: install
	$(BIN)/iclr22 goldens

book: install
	$(BIN)/iclr22 book --scale $(SCALE) --check --jobs 2

clean:
	rm -rf _build book/chapters/*.ipynb book/scoreboard.md

# `make look`: open the built book (it builds nothing: `make book` or `iclr22 book --from-goldens` first)
# in headless Chromium, offline, and fail on raw TeX, tables or code wider than the text column, images
# that did not load and broken internal links; screenshots in _build/look/. Not part of `make test`.
# Installs Debian's chromium when it is missing (apt-get: needs root).
.PHONY: look
look:
	@command -v chromium >/dev/null || { echo "look: installing Debian's chromium (needs root)"; \
		apt-get update -q && apt-get install -y -q chromium; }
	python3 tools/look.py --html _build/html --out _build/look
