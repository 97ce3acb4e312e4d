# pytest-directmem: `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
JAR := pytest_directmem/_fixtures/directmem-fixtures.jar
JAVA_SRC := $(shell find java-fixtures/src -name '*.java')
PYTEST_ARGS ?=

.PHONY: help demo test setup fixtures image bench clean
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

demo: setup ## run the seed story on the local backend (no Docker needed)
	$(VENV)/bin/directmem demo

test: setup ## run the whole test suite, the incident library on JDK 11, 17, 21 and 25 on both hosts, then the installed wheel's smoke suite
	$(PY) -m pytest -n 2 --dist loadgroup --ignore=tests/incidents $(PYTEST_ARGS)
	$(PY) -m pytest -n 2 tests/incidents --directmem-jdk=11,17,21,25 --directmem-host=jpype,java $(PYTEST_ARGS)
	BUILD_PY=$(PY) sh .ci/smoke.sh

setup: $(VENV)/.installed ## create .venv with the package, its dependencies and the fixtures jar

$(VENV)/.installed: pyproject.toml $(JAR)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

fixtures: $(JAR) ## compile java-fixtures/ with javac --release 11 into the package's jar

$(JAR): $(JAVA_SRC)
	$(PYTHON) -m pytest_directmem.jars

image: setup ## build the docker backend's runtime images ahead of time (JDK 17 and 21)
	$(VENV)/bin/directmem image build --jdk 17 --jdk 21

bench: setup ## overhead of one run against bare java, local and docker (prints ratios)
	$(PY) bench/local_overhead.py
	$(PY) bench/docker_overhead.py

clean: ## remove the venv, build output, the jar and ./directmem-artifacts (demo and --directmem-keep runs)
	rm -rf $(VENV) build $(JAR) directmem-artifacts
