# Impact Explorer — the two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT   ?= 8501

.PHONY: setup run test lint chromium bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with its dev tools

run: setup  ## open the app on the synthetic demo borough
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

chromium:  ## Debian's Chromium (and an emoji font) for the browser tests
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/noto ]; } || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

lint: setup
	$(BIN)/ruff check .

test: setup chromium lint  ## the whole test suite, browser tests included
	$(BIN)/python -m pytest

bench: setup  ## every benchmark, one table
	$(BIN)/python -m bench

demo: setup  ## regenerate the synthetic demo borough (deterministic)
	$(BIN)/impact demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data/boundaries/*.parquet
