# shipyard: `make demo` runs the whole flow on this machine; `make test` runs every test.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the integration tests, the demo and the benchmarks use (installed only when missing).
DEB_PACKAGES := git busybox-static runc docker-registry prometheus skopeo buildah debootstrap apache2-utils

.PHONY: setup venv debs test lint demo bench clean

setup: debs venv

$(BIN)/shipyard: pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/shipyard

debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: setup
	$(BIN)/pytest -q -n 2 --dist loadgroup tests

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

demo: setup
	$(BIN)/shipyard demo

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf .shipyard build dist *.egg-info
