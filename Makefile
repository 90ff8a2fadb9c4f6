# The two set-up commands: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# CUDA kernels run in numba's simulator when there is no GPU; must be set before numba loads
export NUMBA_ENABLE_CUDASIM ?= 1
export MPLBACKEND := Agg

.PHONY: demo test env clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

env: $(VENV)/.installed

test: $(VENV)/.installed
	$(PY) -m pytest -n 2 -q

demo: $(VENV)/.installed
	mkdir -p figures
	$(PY) examples/plot_cuba.py
	$(PY) examples/plot_mcculloch_pitts_logic.py
	$(PY) examples/plot_brunel_states.py
	@echo "figures written to figures/"

clean:
	rm -rf $(VENV) figures .pytest_cache

# `make docs`: the documentation site in docs/_build/html, every example in its quick mode
.PHONY: docs

$(VENV)/.docs-installed: $(VENV)/.installed setup.cfg
	$(PY) -m pip install -q -e ".[docs]"
	touch $@

docs: $(VENV)/.docs-installed
	NEUROSIM_QUICK=1 $(VENV)/bin/sphinx-build -W -n -b html docs docs/_build/html
	@echo "documentation written to docs/_build/html/index.html"
