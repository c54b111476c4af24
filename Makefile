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

.PHONY: install test lint unit nbval book-check book goldens clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# torch 2.13.0: the CPU wheel lies on this machine kind's disk; on a GPU machine install a CUDA torch first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check iclr22lib notebooks tests benchmarks tools

unit: install
	@$(call PYTEST_NONEMPTY,$(PY) -m pytest -n 2 tests/unit)

nbval: install
	@$(call PYTEST_NONEMPTY,ICLR22LIB_RESULTS=$$(mktemp -d) $(PY) -m pytest -n 2 --dist loadscope $(NBVAL) tests/notebooks)

book-check: install
	$(BIN)/iclr22 book --from-goldens

test: lint unit nbval book-check

goldens: install
	$(BIN)/iclr22 goldens

book: install
	$(BIN)/iclr22 book --scale $(SCALE) --nbval

clean:
	rm -rf _build book/chapters/*.ipynb book/scoreboard.md
