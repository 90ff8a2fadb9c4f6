# The two set-up commands: `make demo` and `make test`. Each creates .venv on first use.
# `make bench` (about 10 minutes on 2 idle cores) and `make bench-full` measure neurosim
# against Brian2 and NEST (benchmarks/run.py) on the networks of benchmarks/README.md; they
# add the extras `test` and `bench` (Cython, nest-simulator) to .venv. A peer that cannot
# run here (NEST without a wheel for this platform, no GPU) is reported "not run: <reason>".
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# CUDA kernels run in numba's simulator when there is no GPU; must be set before numba loads
export NUMBA_ENABLE_CUDASIM ?= 1
export MPLBACKEND := Agg

.PHONY: demo test env clean bench bench-full

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,circuits]"
	touch $@

env: $(VENV)/.installed

$(VENV)/.bench-installed: $(VENV)/.installed setup.cfg
	$(PY) -m pip install -q -e ".[test,bench]"
	@$(PY) -c "import Cython" || { echo "Cython missing: the extra bench did not install"; exit 1; }
	@$(PY) -c "import nest" >/dev/null 2>&1 || echo "NEST does not import: its contenders will be \
	reported 'not run'; benchmarks/README.md says how to install it on this platform"
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest -n 2 -q -m "not protocol"

# the core examples, then the main job: the visual pathway compared with a CNN (quick form)
demo: $(VENV)/.installed
	mkdir -p figures
	$(PY) examples/plot_cuba.py
	$(PY) examples/plot_mcculloch_pitts_logic.py
	$(PY) examples/plot_brunel_states.py
	$(PY) examples/plot_visual_pathway.py
	$(PY) -m circuits.protocol --quick --out figures
	@echo "figures and figures/visual-pathway.md written"

# results: benchmarks/results/*.json, docs/benchmarks.md, docs/images/benchmarks_scaling.png
bench: $(VENV)/.bench-installed
	$(PY) benchmarks/run.py --quick

bench-full: $(VENV)/.bench-installed
	$(PY) benchmarks/run.py --full

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

# `make vp-bench`: the visual pathway's full comparison protocol (circuit vs CNN, HMAX,
# nulls; targets T0-T8, and the out-of-distribution sets), about 14 minutes on 2
# cores, written to docs/results/;
# `make vp-demo`: its quick version (about 3 minutes), written to figures/.
# Both need the `circuits` extra (scikit-learn, scikit-image, PyTorch); trained CNNs
# are cached in $NEUROSIM_CACHE_DIR/circuits (default ~/.cache/neurosim/circuits).
.PHONY: vp-bench vp-demo

$(VENV)/.circuits-installed: $(VENV)/.installed setup.cfg
	$(PY) -m pip install -q -e ".[circuits]"
	touch $@

vp-bench: $(VENV)/.circuits-installed
	$(PY) -m pytest -q -m protocol tests/circuits
	mkdir -p docs/results
	$(PY) -m circuits.protocol --out docs/results
	@echo "results written to docs/results/visual-pathway.md"

vp-demo: $(VENV)/.circuits-installed
	mkdir -p figures
	$(PY) -m circuits.protocol --quick --out figures
	@echo "results written to figures/visual-pathway.md"

# Issue 35's device check (benchmarks/gpu_check.py): the older tree it compares with
# (GPU_BEFORE: the commit before the grid-wide delivery) and the Brian2 wheel that the
# GPU machine lacks, in the ignored folders the device tool carries
GPU_BEFORE ?= 2f5eab8
gpu-check-prep: $(VENV)/.installed
	rm -rf .gpu_before .whl && mkdir -p .gpu_before
	git archive $(GPU_BEFORE) neurosim tests/networks.py | tar -x -C .gpu_before
	mv .gpu_before/tests/networks.py .gpu_before/ && rmdir .gpu_before/tests
	$(PY) -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
	    --implementation cp --platform manylinux2014_x86_64 -d .whl brian2==2.10.1
.PHONY: gpu-check-prep
