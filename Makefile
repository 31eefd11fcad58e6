# Quick start (README): `make run` serves the demo platform, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE ?= config.settings.base

.PHONY: run test lint system-deps system-deps-test system-deps-stack install install-dev \
	services-start services-stop test-scaled stack stack-stop stack-status bench

# Debian packages: bubblewrap and libseccomp (the local sandbox) and the toolchain of every
# language the language table enables by default (REQUIRED_LANGUAGES: python3, gcc, g++) to run
# the platform; Chromium too for the browser tests. As root we install what is missing,
# otherwise we only say what to install. judge_check reports any that is still absent.
RUN_PACKAGES := bubblewrap libseccomp2 python3 gcc g++
# The scaled deployment on one host (`make stack`) and its resilience tests.
STACK_PACKAGES := postgresql-15 redis-server
TEST_PACKAGES := $(RUN_PACKAGES) $(STACK_PACKAGES) chromium curl jq
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (sudo apt-get install$$missing)" >&2; fi; fi
endef

system-deps:
	$(call apt_install,$(RUN_PACKAGES))

system-deps-test:
	$(call apt_install,$(TEST_PACKAGES))

system-deps-stack:
	$(call apt_install,$(RUN_PACKAGES) $(STACK_PACKAGES))

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

install: system-deps $(VENV)/.installed
install-dev: system-deps-test $(VENV)/.installed-dev

# The embedded default has no Celery beat: run_periodic runs its periodic jobs (the requeue that
# judges submissions queued by a judge outage, the end of expired exam attempts) beside the server.
run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py run_periodic & periodic=$$!; trap 'kill $$periodic' EXIT; \
	DEBUG=1 COURSES_SIGNUP_OPEN=$${COURSES_SIGNUP_OPEN:-1} $(PY) manage.py runserver 127.0.0.1:8000

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# One run of the whole suite on whatever DATABASE_URL / REDIS_URL say (embedded by default), in
# parallel: one pytest-xdist worker per core (TEST_WORKERS=0: one process, serial). Tests that run
# code against time limits form one group, run by one worker in turn (courses/tests/conftest.py).
TEST_WORKERS ?= auto
test: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadgroup

services-start:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

# The same suite on PostgreSQL + Redis started locally from Debian's packages.
test-scaled: services-start
	$(MAKE) test $$(bash scripts/services.sh env)

# The scaled deployment on this host, on loopback (README, "Running at scale"): PostgreSQL,
# Redis, Celery workers (live+run, bulk+live) and beat, gunicorn with the collected static files,
# at http://127.0.0.1:8100/ by default; everything in .stack/ (settings in .stack/stack.env).
# As root: PostgreSQL runs as `postgres`, the workers as root for the sandbox.
stack: system-deps-stack $(VENV)/.installed
	$(PY) scripts/stack.py start

stack-stop:
	$(PY) scripts/stack.py stop

stack-status:
	$(PY) scripts/stack.py status

bench: install-dev
	$(PY) bench/judge_local.py
	$(PY) bench/judge0_latency.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) bench/bulk_enroll.py
