# The two commands: `make run` (embedded defaults, no server) and `make test` (real services).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SVC := scripts/services/svc
CHROMIUM := /usr/bin/chromium
AXE := web/tests/node_modules/axe-core/axe.min.js
# The embedded run proves the defaults: no service variable may leak in from the caller.
export READ_DOT_ENV := false
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u MONGO_URL -u MESSAGE_STORE -u NEO4J_URL \
	-u GRAPH_BACKEND -u KAFKA_BOOTSTRAP_SERVERS -u STORAGE_URL

# The apps that bandit scans (tests and migrations are excluded in pyproject.toml).
APPS := $(wildcard chatsite settings accounts chats gateway graph streaming analytics ml notifications moderation files integrations portability slash web)

.PHONY: run test test-embedded test-services lint audit lock format services-start services-stop services-status bench bench-full bench-analytics drills clean

# Every install is from the hashed locks in requirements/*.txt (`make lock` writes them from the
# *.in files): pip refuses any file whose hash is not listed, and any package that is not pinned.
# `make run` needs only the server's set (base); tests and tools need the dev set (a superset).
PIP_INSTALL := $(PY) -m pip install --quiet --require-hashes
BASE_STAMP := $(VENV)/.installed-base

$(BASE_STAMP): requirements/pip.txt requirements/base.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements/pip.txt
	$(PIP_INSTALL) -r requirements/base.txt
	@touch $@

$(STAMP): requirements/pip.txt requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements/pip.txt
	$(PIP_INSTALL) -r requirements/dev.txt
	@touch $@ $(BASE_STAMP)

# The send path's scorer in C (ml/native/joint.c), built against the venv's Python. Without a C
# compiler or Python's headers it is left unbuilt, with a warning, and scoring runs in Python (the
# same numbers, slower); the stamp is then not written, so the next make tries again.
NATIVE_STAMP := $(VENV)/.built-native-scorer
$(NATIVE_STAMP): ml/native/joint.c ml/native/build.sh $(BASE_STAMP)
	@if ml/native/build.sh $(PY); then touch $@; \
	else echo "warning: the C scorer was not built; spam and abuse scoring runs in Python"; fi

# The Spark engine (pyspark, ~320 MB) is its own set: the tests install it, `make run` does not.
# The benchmarks' extra packages, installed once per change of their lock file (a pip run that
# finds everything in place still costs seconds of every `make bench`'s five minutes).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	$(PIP_INSTALL) -r requirements/bench.txt
	@touch $@

SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP) requirements/spark.txt
	$(PIP_INSTALL) -r requirements/spark.txt
	@touch $@

# The analytics dashboard's chart library, from npm (analytics/static_src/package-lock.json pins it
# with its integrity hash), copied where the static files are served from.
# npm from Debian when the machine has none (the front-end packages' installs below need it).
ENSURE_NPM := command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
CHARTJS := analytics/static/analytics/vendor/chart.umd.js
$(CHARTJS): analytics/static_src/package-lock.json
	$(ENSURE_NPM)
	cd analytics/static_src && npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $@)
	cp analytics/static_src/node_modules/chart.js/dist/chart.umd.js analytics/static_src/node_modules/chart.js/dist/chart.umd.js.map $(dir $@)

# The browser client's front-end packages, from npm (web/static_src/package-lock.json pins them with
# their integrity hashes), copied where the static files are served from (git-ignored): emojibase-data
# (MIT) for the emoji picker and `:shortcode:` completion, qrcode-generator (MIT) for the QR code of a
# new two-factor key.
WEB_VENDOR := web/static_src/node_modules/.copied
$(WEB_VENDOR): web/static_src/package-lock.json
	$(ENSURE_NPM)
	cd web/static_src && npm ci --no-audit --no-fund --silent
	mkdir -p web/static/web/vendor/emoji
	cp web/static_src/node_modules/emojibase-data/en/compact.json web/static/web/vendor/emoji/compact.json
	cp web/static_src/node_modules/emojibase-data/en/shortcodes/github.json web/static/web/vendor/emoji/shortcodes.json
	cp web/static_src/node_modules/qrcode-generator/dist/qrcode.mjs web/static/web/vendor/qrcode.mjs
	@touch $@

run: $(BASE_STAMP) $(NATIVE_STAMP) $(CHARTJS) $(WEB_VENDOR)
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py seed_demo
	$(EMBEDDED) $(PY) manage.py analytics_generate --users 40 --days 45 --if-empty
	$(EMBEDDED) $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP) $(NATIVE_STAMP) $(SPARK_STAMP) $(CHROMIUM) $(AXE) $(CHARTJS) $(WEB_VENDOR) services-start test-services test-embedded

# The browser tests' accessibility checks use axe-core from npm (web/tests/package-lock.json pins it
# with its integrity hash); npm from Debian when the machine has none. Nothing from npm is served.
$(AXE): web/tests/package-lock.json
	$(ENSURE_NPM)
	cd web/tests && npm ci --no-audit --no-fund --silent
	@touch $@

# The browser e2e tests (web/tests) drive Debian's Chromium; installed once, only when missing.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The whole suite against PostgreSQL, Redis, Kafka, Neo4j and FerretDB.
test-services: $(STAMP) $(SPARK_STAMP)
	eval "$$($(SVC) env)" && DJANGO_SETTINGS_MODULE=settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

# The suite again on the embedded defaults (SQLite, in-memory layer, in-process tasks).
test-embedded: $(STAMP)
	$(EMBEDDED) DJANGO_SETTINGS_MODULE=settings.test \
		$(VENV)/bin/pytest -m "not services" $(PYTEST_ARGS)

# The deployment files (scripts/deploy/lint.sh, offline): every kustomize overlay built and
# validated against the Kubernetes schemas, checkov, compose-lint, the compose spec, yamllint,
# hadolint and check --deploy per overlay; its tools live in their own venv (requirements/lint.txt).
# bandit: findings that remain are marked in the code with `# nosec <ID>` and a reason; the few
# listed in .ci/bandit-baseline.json wait for their inline marks and are the only ones let through.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r $(APPS)
	@if grep -q '^\[tool.importlinter\]' pyproject.toml; then $(VENV)/bin/lint-imports; \
	else echo "lint-imports: no contracts in pyproject.toml yet"; fi
	scripts/deploy/lint.sh $(PY)

# Known vulnerabilities in every locked set (prod and bench include base and dev). It needs a
# vulnerability database (PyPI's JSON API or OSV), so it runs in the pipeline; a machine without
# that network cannot check (see README).
audit: $(STAMP)
	$(VENV)/bin/pip-audit --strict --disable-pip --require-hashes --progress-spinner off \
		-r requirements/prod.txt -r requirements/bench.txt -r requirements/spark.txt

# Re-resolve the locks after editing a requirements/*.in file (in this order: each later set is
# constrained to the versions of the one before). Keeps current pins where still allowed; add
# --upgrade-package NAME via LOCK_ARGS to move one.
lock: $(STAMP)
	@for set in base dev prod bench spark pip lint; do \
		echo "pip-compile requirements/$$set.in"; \
		CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
			--strip-extras --no-emit-index-url --no-emit-find-links --newline=lf $(LOCK_ARGS) \
			-o requirements/$$set.txt requirements/$$set.in || exit 1; \
	done

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# A short run of every WebSocket load scenario (under 5 minutes on an idle machine) beside the
# naive baseline and the previous design (a temporary git worktree of an older commit); results
# in bench/results/ws_load.{json,md,*.png} and the performance targets in targets.json.
# It needs PostgreSQL and Redis only: the other services are neither started nor named to the
# servers. Kafka's address stays set, so that events go to the outbox table as in production
# (nothing in the measured servers connects to Kafka; the relay is not run).
WS_BENCH_SERVICES := postgres redis
WS_BENCH_ENV := env -u MONGO_URL -u MESSAGE_STORE -u NEO4J_URL -u GRAPH_BACKEND -u STORAGE_URL -u REDIS_CLUSTER_URL
bench: $(BENCH_STAMP) $(NATIVE_STAMP)
	$(SVC) start $(WS_BENCH_SERVICES)
	eval "$$($(SVC) env)" && $(WS_BENCH_ENV) $(PY) -W ignore -m bench.ws_load

# The long run (10,000 sockets, 15 s steps, every server x fan-out pair; about 20 minutes).
bench-full: $(BENCH_STAMP) $(NATIVE_STAMP)
	$(SVC) start $(WS_BENCH_SERVICES)
	eval "$$($(SVC) env)" && $(WS_BENCH_ENV) $(PY) -W ignore -m bench.ws_load --full

# The analytics benchmark (bench/analytics.py): the batch job over 1M and 10M events on Spark
# local[2] and on the SQL engine (PostgreSQL), and the streaming lag at 2,000 events/s. It takes
# well over `make bench`'s five minutes, so it is a target of its own.
bench-analytics: $(BENCH_STAMP) $(SPARK_STAMP) services-start
	eval "$$($(SVC) env)" && $(PY) -W ignore -m bench.analytics

# Fault drills on the real services, both message stores (under ~10 minutes; stops Kafka for
# 60 s and restarts Redis). Results in bench/results/drills.{json,md,png} and targets.json.
drills: $(BENCH_STAMP) services-start
	eval "$$($(SVC) env)" && $(PY) -W ignore -m bench.drills

services-start:
	$(SVC) start

services-stop:
	$(SVC) stop

services-status:
	$(SVC) status

clean:
	rm -rf $(VENV) .state db.sqlite3
