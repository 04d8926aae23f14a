# Two commands from a fresh clone: `make run` opens the app on the sample, `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/nianbao: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,lint]'
	touch $@

.PHONY: run test lint bench snapshots
run: $(BIN)/nianbao
	$(BIN)/nianbao samples/yuzhong-emergency-2024.toml

test: $(BIN)/nianbao
	$(BIN)/python -m pytest -q

lint: $(BIN)/nianbao
	$(BIN)/ruff check tui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

snapshots: $(BIN)/nianbao
	$(BIN)/python -m pytest -q tests/app/test_snapshots.py --snapshot-update

bench: $(BIN)/nianbao
	$(BIN)/python bench/core.py
	$(BIN)/python bench/app.py
