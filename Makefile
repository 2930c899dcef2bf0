# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# `make run PORT=8001`; BROKER_PORT / BROKER_HOST in the environment work too.
PORT ?= $(or $(BROKER_PORT),8000)
HOST ?= $(or $(BROKER_HOST),127.0.0.1)

.PHONY: run test install lint typecheck bench clean browser jq port-free

$(STAMP): pyproject.toml
	@echo "==> [1/4] virtual environment in $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] pip"
	$(BIN)/python -m pip install --upgrade pip
	@echo "==> [3/4] torch (CPU wheel, about 200 MB; the longest step)"
	# torch first and pinned: the CPU wheel on disk; an unpinned torch would pull CUDA packages.
	$(BIN)/python -m pip install torch==2.13.0
	@echo "==> [4/4] knowledge-broker and its dependencies"
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)
	@echo "==> installed"

install: $(STAMP)

# Checked before the install, so a busy port is said at once, not after minutes of installing.
port-free:
	@$(PYTHON) scripts/port_free.py $(HOST) $(PORT)

run: export BROKER_PORT = $(PORT)
run: export BROKER_HOST = $(HOST)
run: port-free install jq
	@echo "==> database (BROKER_DATABASE_URL, default ./broker.db)"
	$(BIN)/broker db upgrade
	$(BIN)/broker keys bootstrap
	@echo "==> demo corpus (loaded and embedded on the first run only)"
	$(BIN)/broker demo load --if-empty
	@echo "==> serving http://$(HOST):$(PORT) (OpenAPI UI at /docs; Ctrl-C stops)"
	$(BIN)/broker serve

# jq for the README's curl walk-through (and its test), from Debian's package as for chromium below.
jq:
	@command -v jq >/dev/null || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq; } \
		|| echo "no jq (and not root to install it): install jq to follow the README's curl session"

# Chromium for the browser tests of the staff pages (Debian's package, so root installs it); without it
# those tests skip with the reason, or fail when BROKER_REQUIRE_BROWSER=1.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "no chromium (and not root to install it): the browser tests will skip"

test: install browser jq
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check broker tests benchmarks scripts migrations
	$(BIN)/ruff format --check broker tests benchmarks scripts migrations

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/ranking.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
