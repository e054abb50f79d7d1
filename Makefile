# The two commands: `make run` and `make test`. Everything else builds on them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run dev test test-fast check lint format migrate mutate bench screenshots binary clean lock docs docs-serve canary

# constraints.txt pins every package (the lock file); `make lock` rewrites it after pyproject.toml changes.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Resolve pyproject.toml (all extras) into constraints.txt for CPython 3.11 on Linux x86_64. Keeps the pins
# already there; `make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed versions,
# `LOCK_ARGS='--upgrade-package nicegui'` only one package.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "make lock: the lock is for Python 3.11, .venv has " + sys.version.split()[0])'
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet 'pip-tools>=7.4,<8'
	CUSTOM_COMPILE_COMMAND='make lock' $(BIN)/pip-compile --quiet --all-extras --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --output-file constraints.txt $(LOCK_ARGS) pyproject.toml
	printf '%s\n' \
		'# The lock file: exact versions of every package that make, make binary and the Dockerfile install' \
		'# (pip install -c constraints.txt ...), resolved from pyproject.toml with all extras for CPython 3.11' \
		'# on Linux x86_64. Do not edit by hand: change pyproject.toml, then run `make lock`' \
		'# (`make lock LOCK_ARGS=--upgrade` to move every package to its newest allowed version).' \
		| cat - constraints.txt > constraints.txt.new
	mv constraints.txt.new constraints.txt

run: $(STAMP)
	$(BIN)/python -m app

dev: $(STAMP)
	CHAT_ENV=dev $(BIN)/python -m app --reload

migrate: $(STAMP)
	$(BIN)/python -m app migrate

# All three tiers (tests/unit, tests/process, tests/browser: see tests/conftest.py); the summary ends with
# the time each tier took.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The unit tier only: one process, no PostgreSQL, no browser, no server process (under a minute).
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

# Mutation testing of the domain (app/chat/) with its unit tests; not part of `make test` (minutes).
# Always from scratch: mutmut keeps its verdicts in mutants/, which would hide a changed test.
# MUTATE_ARGS narrows it, e.g. MUTATE_ARGS='app.chat.presence*'.
mutate: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(or $(MUTATE_JOBS),2) $(MUTATE_ARGS); status=$$?; \
	$(BIN)/mutmut export-cicd-stats >/dev/null && $(BIN)/python scripts/mutation_score.py; exit $$status

# Not part of `make check` or CI (upstream releases must not block a landing): a throwaway venv with the
# newest releases of the libraries pyproject.toml pins exactly (their insides are patched in app/patches/),
# the rest from constraints.txt; prints the versions, what moved (`python -m app check`) and what broke (the
# fast tests). CANARY_TESTS picks other tests, CANARY_KEEP=1 keeps the venv. Needs the package index.
canary:
	$(PYTHON) scripts/canary.py

# dist/chat, one executable file (PyInstaller, packaging/chat.spec); rebuilt only when app/, packaging/ or the venv change
BINARY_INPUTS := pyproject.toml $(shell find app packaging -type f -not -path '*/__pycache__/*' -not -name '*.pyc')

binary: dist/chat

dist/chat: $(STAMP) $(BINARY_INPUTS)
	packaging/build.sh

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# The manual (docs/, mkdocs.yml, Material for MkDocs) built into site/; --strict: a broken link or a page
# missing from the nav fails the build (CI runs it). docs-serve serves it on 127.0.0.1:8000 with live reload.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

docs-serve: $(STAMP)
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist mutants site
