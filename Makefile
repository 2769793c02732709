# Témoin — the two commands that matter: `make demo` and `make test`.
# Both set up everything on a fresh machine: a virtual environment with the pinned packages
# (requirements.lock) and, when run as root, the Debian packages the tests need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
DEBIAN_PACKAGES := postgresql chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
	r-cran-estimatr r-cran-clubsandwich
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test bench lint mutation system-deps venv serve clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# Installs the Debian packages when they are missing (as root only; otherwise says what is missing).
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Missing Debian packages (install them as root):$$missing"; fi; \
	fi

demo: venv
	$(PY) -m temoin.demo

test: venv system-deps
	$(PY) -m pytest -q

bench: venv
	$(PY) -m benchmarks

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src/temoin
	PYTHONPATH=src $(VENV)/bin/lint-imports

# Mutation testing (mutmut) of the modules in MUTATE, killed by the tests in MUTATION_TESTS. To cover
# another module, add it to MUTATE and the tests that check it to MUTATION_TESTS. It runs in a copy
# of the project under $(MUTATION_DIR) (the configuration written there from these two lists), then
# prints the surviving mutants; `cd $(MUTATION_DIR) && ../../$(VENV)/bin/mutmut show NAME` shows one.
MUTATE := src/temoin/evaluation/estimators/vcov.py src/temoin/evaluation/estimators/cr2.py \
	src/temoin/money.py src/temoin/settlement/rule.py src/temoin/settlement/arith.py \
	src/temoin/settlement/caps.py src/temoin/settlement/payments.py src/temoin/settlement/investors.py \
	src/temoin/settlement/savings.py src/temoin/settlement/inputs.py
MUTATION_TESTS := tests/test_estimators_cr2.py tests/test_estimators_cr2_scale.py \
	tests/test_estimators_statsmodels.py tests/test_estimators_errors.py \
	tests/test_money.py tests/test_settlement_cents.py tests/test_settlement_rule_cents.py tests/test_settlement_rules.py \
	tests/test_settlement_golden.py tests/test_settlement_previous_release.py tests/test_real_deals.py
MUTATION_DIR := build/mutation

mutation: venv
	rm -rf $(MUTATION_DIR) && mkdir -p $(MUTATION_DIR)
	cp -r src tests pyproject.toml $(MUTATION_DIR)/
	{ echo "[mutmut]"; echo "source_paths = src"; echo "only_mutate ="; \
	  for f in $(MUTATE); do echo "    $$f"; done; echo "pytest_add_cli_args_test_selection ="; \
	  for f in $(MUTATION_TESTS); do echo "    $$f"; done; } > $(MUTATION_DIR)/setup.cfg
	cd $(MUTATION_DIR) && env -u PYTHONPATH $(abspath $(VENV))/bin/mutmut run; \
	  $(abspath $(VENV))/bin/mutmut results

serve: venv
	$(VENV)/bin/temoin serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo
