# The two commands of the README: `make demo` and `make test`. Each does its own set-up.
PYTHON ?= python3
OUT ?= out/demo

.PHONY: setup system python demo test lint bench clean

system:
	bash scripts/setup-system.sh

python:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'

setup: system python

demo: setup
	$(PYTHON) -m paperwork validate fixtures/demo/case.yaml
	$(PYTHON) -m paperwork dates fixtures/demo/case.yaml
	$(PYTHON) -m paperwork build-binder fixtures/demo/case.yaml -o $(OUT)

bench: setup
	$(PYTHON) bench/scale_bench.py
	$(PYTHON) bench/convert_bench.py

lint:
	$(PYTHON) -m ruff check paperwork tests fixtures bench templates
	$(PYTHON) -m ruff format --check paperwork tests fixtures bench templates
	$(PYTHON) -m mypy

test: setup lint
	$(PYTHON) -m pytest -q

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache .hypothesis
