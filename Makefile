# 善邻 Shanlin. The two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py
# Python keeps its compiled modules (__pycache__, ignored by git) even where the environment
# says not to: without them every process compiles the ~1,700 modules it imports anew (a job
# worker took 11.7 s to start on a 2-core machine, 5.2 s with them), and the tests start many
# (pytest's workers, job workers, the payment and SMS fakes, gunicorn, locust).
unexport PYTHONDONTWRITEBYTECODE
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
# Debian packages the tests need: a browser (Chromium's headless shell), Chinese fonts, fast
# font subsetting, PDF tools, a QR decoder (zbarimg) to read the codes printed on receipts.
# openjdk-17-jre-headless runs the Nu HTML checker (vnu.jar); wrk loads gunicorn in make bench.
# `make run` needs only the fonts (receipts of the demo data are rendered while it loads) and
# HarfBuzz's subsetter; `make test` needs them all.
RUN_APT_PACKAGES := fonts-noto-cjk fonts-wqy-microhei libharfbuzz-subset0
APT_PACKAGES := $(RUN_APT_PACKAGES) chromium-headless-shell poppler-utils zbar-tools postgresql-client openjdk-17-jre-headless wrk

.PHONY: messages run test test-sqlite test-postgres bench load load-surge lint system-deps run-deps apt-packages translations db clean

# uv installs the packages: 3-5 s where pip took 30 s on a fresh clone of a 2-core machine
# (pip's own resolver, one package at a time), on the way to every `make test`.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@

# The Nu HTML checker from the npm registry, for the markup tests (java -jar vnu.jar).
VNU_VERSION := 26.9.27
VNU := $(VENV)/node/node_modules/vnu-jar/build/dist/vnu.jar
export VNU_JAR := $(abspath $(VNU))

$(VNU):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node vnu-jar@$(VNU_VERSION)
	test -f $@

translations: $(BIN)/.installed
	@$(BIN)/pybabel compile -d app/translations

# Installs the Debian packages it names as root; otherwise prints the one line to run and stops.
system-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(APT_PACKAGES)"

run-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(RUN_APT_PACKAGES)"

apt-packages:
	@missing=""; \
	for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Links that leave the site (receipt QR codes, mailed links) name the port this server listens on.
db run: export PUBLIC_URL ?= http://127.0.0.1:$(PORT)

db: run-deps translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load

# Plain http on loopback, so the session cookie may not demand https here. The background-job
# worker (flask jobs worker) runs beside the dev server and is stopped when the server stops.
run: db
	@SESSION_COOKIE_SECURE=0 $(BIN)/flask jobs worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT; \
	SESSION_COOKIE_SECURE=0 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The SQLite and the PostgreSQL runs side by side: each leaves a core idle at times (building
# its template database on a fresh clone, a browser or a worker process it waits for, the last
# long test of its run), which the other fills. Each run's output is printed whole when it ends
# (--output-sync), so the two never interleave; make fails if either fails.
test: $(BIN)/.installed system-deps $(VNU) translations lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# Spread over every core (pytest-xdist), test by test: a worker that runs out takes half of
# another's remaining tests (worksteal), so no long file (the journey in the browser) holds
# one worker while the other waits. The workers share one template database, kept across
# runs in var/test-cache (tests/template_cache.py).
PYTEST_PARALLEL ?= -n auto --dist worksteal --durations=15

test-sqlite:
	SHANLIN_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_PARALLEL)

# The same suite against PostgreSQL when one is reachable (browser tests ran already).
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  SHANLIN_TEST_DB=postgresql TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' $(BIN)/pytest $(PYTEST_PARALLEL) -m "not browser"; \
	else echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL): PostgreSQL tests skipped."; fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: $(BIN)/.installed system-deps translations
	$(BIN)/python -m bench

# Members voting and treasurers recording at once on gunicorn + PostgreSQL, then the integrity
# checks (see bench/load.py). LOAD_SECONDS=60 by default. Then the giving surge (bench/surge.py):
# SURGE_DONORS=500 donors over SURGE_SECONDS=60 s paying through the payment fakes to one
# campaign while SURGE_READERS=200 read its page; `make load-surge` runs the surge alone
# (quick: SURGE_DONORS=40 SURGE_SECONDS=15 SURGE_READERS=20).
load: $(BIN)/.installed system-deps translations
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.surge

load-surge: $(BIN)/.installed system-deps translations
	$(BIN)/python -m bench.surge

clean:
	rm -rf $(VENV) var test-artifacts

# After adding user-visible strings: extract them and merge into the catalogue, then translate.
messages: $(BIN)/.installed
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/translations --no-fuzzy-matching
