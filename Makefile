# The two commands: `make run` (embedded defaults, no server) and `make test` (real services).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SVC := scripts/services/svc
CHROMIUM := /usr/bin/chromium
# The embedded run proves the defaults: no service variable may leak in from the caller.
export READ_DOT_ENV := false
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u MONGO_URL -u MESSAGE_STORE -u NEO4J_URL \
	-u GRAPH_BACKEND -u KAFKA_BOOTSTRAP_SERVERS

.PHONY: run test test-embedded test-services lint format services-start services-stop services-status bench drills clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $@

run: $(STAMP)
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py seed_demo
	$(EMBEDDED) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP) $(CHROMIUM) services-start test-services test-embedded

# The browser e2e tests (web/tests) drive Debian's Chromium; installed once, only when missing.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The whole suite against PostgreSQL, Redis, Kafka, Neo4j and FerretDB.
test-services: $(STAMP)
	eval "$$($(SVC) env)" && DJANGO_SETTINGS_MODULE=settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

# The suite again on the embedded defaults (SQLite, in-memory layer, in-process tasks).
test-embedded: $(STAMP)
	$(EMBEDDED) DJANGO_SETTINGS_MODULE=settings.test \
		$(VENV)/bin/pytest -m "not services" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# A short run of every WebSocket load scenario (under 5 minutes) beside the naive baseline;
# results in bench/results/ws_load.{json,md,*.png}. Larger runs: python -m bench.ws_load --full.
bench: $(STAMP) services-start
	$(PY) -m pip install --quiet -r requirements/bench.txt
	eval "$$($(SVC) env)" && $(PY) -W ignore -m bench.ws_load

# Fault drills on the real services, both message stores (under ~10 minutes; stops Kafka for
# 60 s and restarts Redis). Results in bench/results/drills.{json,md,png} and targets.json.
drills: $(STAMP) services-start
	$(PY) -m pip install --quiet -r requirements/bench.txt
	eval "$$($(SVC) env)" && $(PY) -W ignore -m bench.drills

services-start:
	$(SVC) start

services-stop:
	$(SVC) stop

services-status:
	$(SVC) status

clean:
	rm -rf $(VENV) .state db.sqlite3
