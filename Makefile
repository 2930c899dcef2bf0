# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint typecheck bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on disk; an unpinned torch would pull CUDA packages.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/broker db upgrade
	$(BIN)/broker keys bootstrap
	$(BIN)/broker demo load --if-empty
	$(BIN)/broker serve

# Chromium for the browser tests of the staff pages (Debian's package, so root installs it); without it
# those tests skip with the reason, or fail when BROKER_REQUIRE_BROWSER=1.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "no chromium (and not root to install it): the browser tests will skip"

test: install browser
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
