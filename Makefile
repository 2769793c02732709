# Témoin — the two commands that matter: `make demo` and `make test`.
# Both set up everything on a fresh machine: a virtual environment with the pinned packages
# (requirements.lock) and, when run as root, the Debian packages the tests need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
DEBIAN_PACKAGES := postgresql chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test bench lint system-deps venv serve clean

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

serve: venv
	$(VENV)/bin/temoin serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo
