# The course book's commands. `make book` and `make test` set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Root installs system packages directly; everyone else through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The site `make test` builds, in quick mode, apart from the full one `make book` builds.
QUICK_SITE := _build/quick

.PHONY: help setup data browser book test unit notebooks site lab exercises bench clean

help:
	@echo "make book       build the site (full mode) into _build/html"
	@echo "make test       run every test: unit, exercises in sync, notebooks, site"
	@echo "make lab        open JupyterLab on the book"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make bench      execute every notebook in full mode, print times and metrics"
	@echo "                (the executed notebooks are kept in _build/bench)"

$(INSTALLED): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(INSTALLED)

data: setup
	$(BIN)/python -m dlbook.data

# Headless Chromium and its driver come from Debian, never from a test tool's download.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends chromium chromium-driver; }

book: data
	$(BIN)/jupyter-book build --all .
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

test: setup data browser
	$(BIN)/ruff check .
	$(BIN)/python -m dlbook.exercises --check
	$(MAKE) --no-print-directory unit notebooks site

unit:
	$(BIN)/pytest -m "not site"

notebooks:
	DLBOOK_QUICK=1 $(BIN)/pytest -p tests.notebook_times --nbval-lax \
	  chapters solutions exercises

site:
	rm -rf $(QUICK_SITE)
	DLBOOK_QUICK=1 $(BIN)/jupyter-book build --path-output $(QUICK_SITE) .
	DLBOOK_SITE=$(QUICK_SITE)/_build/html $(BIN)/pytest -m site

lab: data
	$(BIN)/jupyter lab

exercises: setup
	$(BIN)/python -m dlbook.exercises

bench: data
	$(BIN)/python -m dlbook.bench --keep _build/bench

clean:
	rm -rf _build
