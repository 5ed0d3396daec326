# Quick start: `make run` serves on SQLite; `make test` runs lint, types and every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Debian packages the service and its tests need: a CJK TrueType font embedded in the
# decision documents, Chromium for the real-browser test of /docs, poppler to read PDFs
# as a person would, and a one-node OpenStack Swift with memcached, the real S3-compatible
# object store the evidence tests run against (tests/object_store.py; python3-swift ships
# the s3api middleware). Installed with apt when missing (CI and the dev machines run as root).
SYSTEM_PACKAGES := fonts-wqy-zenhei chromium poppler-utils \
	swift swift-proxy swift-account swift-container swift-object memcached
# Every Python package at the version and hash it was tested with; `make lock` makes it
# anew from pyproject.toml (uv's resolver; a requirements file, which records no index).
LOCK := requirements.lock
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv

.PHONY: run test test-lowest lint typecheck contract migrate messages lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(INSTALLED): pyproject.toml $(LOCK)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# A lock older than pyproject.toml's requirements fails here, not in a test.
	$(BIN)/python -m pip check
	@touch $@

lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet --no-header -o $(LOCK)

# The lower bounds pyproject.toml states, proved: the lowest allowed version of every
# direct dependency, then the unit and API tests of the domain's core (CI runs this once).
LOWEST := .venv-lowest
test-lowest: $(INSTALLED) $(UV)
	rm -rf $(LOWEST) && $(PYTHON) -m venv $(LOWEST)
	$(UV) pip compile pyproject.toml --extra dev --resolution lowest-direct \
		--python-version 3.11 --quiet --no-header -o $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet --disable-pip-version-check -r $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(LOWEST)/bin/pytest -q -p no:cacheprovider tests/intake tests/settlement tests/decisions tests/kit

run: $(INSTALLED)
	$(BIN)/accident-online migrate
	$(BIN)/accident-online seed
	$(BIN)/accident-online serve

migrate: $(INSTALLED)
	$(BIN)/accident-online migrate

lint: $(INSTALLED)
	$(BIN)/ruff check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

# One pytest worker per core (pytest-xdist); each worker makes and migrates its own
# databases, and a worker that finishes early takes tests from the others (worksteal).
test: lint typecheck contract
	$(BIN)/pytest -n auto --dist worksteal

# The OpenAPI document as partners get it, through linters nobody here wrote: Redocly
# (redocly.yaml) and Spectral (.spectral.yaml), pinned in package.json and its lock file.
NODE_INSTALLED := node_modules/.installed
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-fund --no-audit
	@touch $@

contract: $(INSTALLED) $(NODE_INSTALLED)
	@mkdir -p build
	$(BIN)/accident-online openapi > build/openapi.json
	npx --no-install redocly lint build/openapi.json --format=stylish
	npx --no-install spectral lint build/openapi.json --fail-severity=hint

# The message catalogue (src/accident_online/kit/i18n.py): extract every _() text into a
# template and merge it into the Chinese catalogue; then translate the new or fuzzy entries.
LOCALES := src/accident_online/locales
messages: $(INSTALLED)
	@mkdir -p build
	$(BIN)/pybabel -q extract -F babel.cfg --project accident-online --no-wrap \
		--sort-by-file --add-location=file -o build/messages.pot src/accident_online
	$(BIN)/pybabel -q update -i build/messages.pot -d $(LOCALES) -l zh_CN --no-wrap \
		--ignore-obsolete --init-missing

clean:
	rm -rf $(VENV) $(LOWEST) $(TOOLS) node_modules .mypy_cache .ruff_cache .pytest_cache .hypothesis
