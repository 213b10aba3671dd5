# The two commands of the README: `make demo` and `make test`. Each does its own set-up:
# system packages (as root), then a project virtual environment in .venv (PEP 668-safe on Debian).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out/demo
PYTEST_FLAGS ?=

.PHONY: setup system python fonts demo test test-fast lint bench serve clean

system:
	bash scripts/setup-system.sh

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

python: $(VENV)/.installed

setup: system python

demo: setup
	$(PY) -m paperwork validate fixtures/demo/case.yaml
	$(PY) -m paperwork dates fixtures/demo/case.yaml
	$(PY) -m paperwork build-binder fixtures/demo/case.yaml -o $(OUT)

# The clerks' web pages on a copy of the fixtures' cases (made once; the fixtures stay as the tests expect).
WORKSPACE ?= out/workspace
serve: setup
	test -d $(WORKSPACE) || (mkdir -p $(WORKSPACE) && cp -r fixtures/demo fixtures/in-progress fixtures/expansion $(WORKSPACE)/)
	$(PY) -m paperwork serve $(WORKSPACE) --port 8000

bench: setup
	$(PY) bench/scale_bench.py
	$(PY) bench/convert_bench.py
	$(PY) bench/validate_bench.py
	$(PY) bench/serve_bench.py
	$(PY) bench/intake_bench.py
	$(PY) bench/queue_bench.py

lint: python
	$(PY) -m ruff check paperwork tests fixtures bench templates docs setup.py
	$(PY) -m ruff format --check paperwork tests fixtures bench templates docs setup.py
	$(PY) -m mypy

# the 1-em TrueType builds of Noto CJK are made once per machine (about two minutes) before the tests time anything
fonts: python
	$(PY) -c "from paperwork.binder.libreoffice import user_font_dir as d; from paperwork.render.fonts import metric_fonts as m; m(d())"

test: setup lint fonts
	$(PY) -m pytest $(PYTEST_FLAGS)

# Everything but the tests that need LibreOffice or Redis: no system packages.
test-fast: python
	$(PY) -m pytest -m "not soffice and not redis" $(PYTEST_FLAGS)

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
