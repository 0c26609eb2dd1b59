# Quick start: `make demo` (SQLite, eager tasks, demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo test lint bench run-worker run-checkpoint-worker run-beat clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite file in var/, Celery tasks run in-process.
demo: install
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py seed_demo
	@echo "Marketplace at http://$(HOST):$(PORT)/  (API docs at /api/v1/docs/)"
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py runserver $(HOST):$(PORT)

# SQLite by default; PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set.
test: install
	@scripts/ensure-chromium
	@scripts/ensure-gettext
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Workers consume the default queue; exactly one checkpoint worker writes the audit checkpoint file.
run-worker: install
	$(BIN)/celery -A config worker -Q celery --loglevel=info

run-checkpoint-worker: install
	$(BIN)/celery -A config worker -Q audit-checkpoints --concurrency 1 --loglevel=info

run-beat: install
	$(BIN)/celery -A config beat --loglevel=info

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
