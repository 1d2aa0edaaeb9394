# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development and tests run with DEBUG on (and its throwaway SECRET_KEY); a deployment
# sets DEBUG=0 and a SECRET_KEY of its own (README, "Deploy").
export DEBUG ?= 1

.PHONY: run serve test browser-test lint format messages bench lock clean

# The venv is rebuilt when the lock changes; the stamp files remember which lock it holds.
$(VENV)/.base: requirements/base.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/base.lock
	touch $@

$(VENV)/.dev: requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	touch $@ $(VENV)/.base

run: $(VENV)/.base
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py draw_sharing_images
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production-style serving: granian in WSGI mode (measured faster than gunicorn by
# `make bench`), one worker process per core, each one request at a time (one thread, one
# database connection), with an access log. Workers that hang on shutdown are killed after
# 30 s and a worker that dies is replaced; requests cannot hang on the database (3 s connect
# and 20 s statement timeouts, settings.py). Static files come from WhiteNoise with hashed,
# compressed names. Set DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, SITE_URL and DATABASE_URL as in
# .env.example. SERVER=gunicorn serves with gunicorn's sync workers instead.
WORKERS ?= $(shell $(PYTHON) -c "import os; print(os.cpu_count())")
SERVER ?= granian
serve: $(VENV)/.base
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
ifeq ($(SERVER),gunicorn)
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--timeout 30 --graceful-timeout 30 --access-logfile - --error-logfile -
else
	$(BIN)/granian --interface wsgi config.wsgi:application --host $(HOST) --port $(PORT) \
		--workers $(WORKERS) --blocking-threads 1 --no-ws --respawn-failed-workers \
		--workers-kill-timeout 30 --http1-header-read-timeout 30000 --access-log
endif

# The suite reads every feed with Mozilla's ical.js too (tests/feeds/readers): npm installs it.
test: $(VENV)/.dev node_modules/.installed lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Browser tests: Debian's Chromium driven by Playwright, axe-core from npm. CI runs them.
CHROMIUM ?= /usr/bin/chromium
browser-test: $(VENV)/.dev node_modules/.installed
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -m browser -p no:cacheprovider

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The interface in French and Dutch (locale/): gathers new and changed strings into the
# catalogues, keeping every translation, and compiles them. Translate what is new in the .po
# files, then run it again. The compiled .mo files are committed, so `make run` needs no
# gettext; tests/test_translations.py fails while a string is untranslated or fuzzy, a .mo
# differs from its .po, or the code holds a string the catalogues lack.
MESSAGES_SCAN := --ignore=.venv --ignore=node_modules --ignore=tests --ignore=scripts --ignore=docs
messages: $(VENV)/.dev
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(PY) manage.py makemessages -l fr -l nl --no-obsolete $(MESSAGES_SCAN)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# `make bench` adds matplotlib (its charts) and py-spy (its flame graphs) to the dev tools.
$(VENV)/.bench: requirements/bench.lock $(VENV)/.dev
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/bench.lock
	touch $@

bench: $(VENV)/.bench
	$(PY) scripts/bench.py

# Re-resolve the locks after editing pyproject.toml (needs the package registry).
lock: $(VENV)/.dev
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements/dev.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench -c requirements/dev.lock \
		--python-version 3.11 -q -o requirements/bench.lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis
