# PE Org-AI-R Platform — every entry point a developer or CI needs.
# Only Python and make are assumed: uv is installed from PyPI when missing.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
COMPOSE ?= docker compose
ROLE ?= admin
# The socket of the engine `make up-local` starts (orgair_cli.localengine).
LOCAL_ENGINE_SOCKET ?= /run/orgair-engine/docker.sock

.DEFAULT_GOAL := help
.PHONY: help uv install dev test lint format typecheck migrate seed preflight up up-local keys-local down logs bench env openapi

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

uv: ## install uv from PyPI when it is not on PATH
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet uv || \
		$(PYTHON) -m pip install --quiet --user --break-system-packages uv

install: uv ## install every workspace member and the dev tools from uv.lock
	$(UV) sync --frozen

dev: install ## run the whole stack as local processes (Ctrl-C stops it)
	$(UV) run orgair dev

test: install ## the whole test-suite (starts Redis, S3 and Postgres itself)
	$(UV) run pytest

lint: install ## ruff (lint + format check), mypy and the import layers
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports --no-logo

openapi: install ## regenerate the gateway's copy of scoring's OpenAPI document (commit it)
	$(UV) run python -m orgair_scoring_api.openapi_document \
		--output services/gateway/src/orgair_gateway/scoring_openapi.json

format: install ## apply ruff's formatting and safe fixes
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

migrate: install ## upgrade the database named by the settings to the latest revision
	$(UV) run orgair migrate

seed: install ## insert missing reference data
	$(UV) run orgair seed

preflight: install ## check database, Redis and S3 for real
	$(UV) run orgair preflight

env: install ## write .env with a fresh SECRET_KEY when it is missing
	$(UV) run orgair env

up: env ## the containerized stack (needs Docker Engine 25+ and Compose 2.24+)
	$(COMPOSE) up --build --wait

up-local: env ## the same stack on the project's own engine with locally built stand-ins (left running)
	$(UV) run orgair local-stack up

keys-local: install ## mint a key against the up-local stack (ROLE=admin|reviewer|analyst|viewer)
	@$(UV) run --quiet orgair local-stack keys --role $(ROLE)

down: ## stop the containerized stack (and the engine `make up-local` started)
	@if [ -S $(LOCAL_ENGINE_SOCKET) ]; then $(UV) run orgair local-stack down; else $(COMPOSE) down; fi

logs: ## follow the containerized stack's logs
	$(COMPOSE) logs -f

bench: install ## benchmarks (print figures; never part of make test)
	@for script in bench/bench_*.py; do echo "== $$script"; $(UV) run python "$$script" || exit 1; done
