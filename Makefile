# Every target sets up .venv on its own, so a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m assistant.demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

fuzz: $(STAMP)
	LMM_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest tests -m fuzz

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) lmm-output .pytest_cache
