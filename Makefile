# The course book's commands. `make book` and `make test` set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Root installs system packages directly; everyone else through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Notebooks run from here, each alone in an empty folder, outside the repository.
STAGE := $(or $(TMPDIR),/tmp)/dlbook-standalone-$(shell id -u)
# The site's source: the book's pages with the executed notebooks and the results page.
SITE_SRC := _build/src
# How long each stage of `make test` took, printed at its end.
START := $(shell date +%s)
TIMES := _build/stage-times
timed = mkdir -p _build; s=$$(date +%s); $(2); rc=$$?; \
	echo "$(START) $(1) $$(( $$(date +%s) - s ))" >> $(TIMES); exit $$rc
PYTEST_NOTEBOOKS := DLBOOK_QUICK=1 $(BIN)/pytest -c pyproject.toml --rootdir . \
	-p tests.standalone -n 2 --dist loadscope --nbval-lax $(STAGE)/notebooks

.PHONY: help setup data browser book test unit notebooks site html lab exercises bench clean

help:
	@echo "make book       execute every notebook (full mode), build the site into _build/html"
	@echo "make test       run every test: unit, exercises in sync, every notebook alone"
	@echo "                (quick mode), the site and JupyterLab in headless Chromium"
	@echo "make lab        open JupyterLab on the book"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make bench      execute every notebook in full mode, print times and metrics"
	@echo "                (executed notebooks and records in _build/executed)"

# A venv left half-made (python3-venv missing, an interrupted install) is made again.
$(INSTALLED): requirements.txt pyproject.toml
	@$(call timed,install,$(MAKE) --no-print-directory venv-packages)

.PHONY: venv-packages
venv-packages:
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip --version >/dev/null 2>&1 || { \
	    rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' made no working venv: install Python's venv" \
	      "module (Debian/Ubuntu: apt-get install python3-venv; macOS: it comes with" \
	      "python.org's and Homebrew's Python)" >&2; exit 1; }; }
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-compile --no-deps -e .
	@# pip compiles one file at a time; this uses every core. A file that does not
	@# compile (a package's Python 2 test data) is left as pip would leave it.
	-@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1
	@touch $(INSTALLED)

setup: $(INSTALLED)

data: setup
	@$(call timed,data,$(BIN)/python -m dlbook.data && $(BIN)/python -m dlbook.text)

# Headless Chromium and its driver, found on PATH; on Debian installed when missing.
# Never a test tool's own browser download.
browser: setup
	@$(call timed,browser,$(BIN)/python -m tests.browser --install)

book: data
	$(BIN)/python -m dlbook.bench
	$(MAKE) --no-print-directory html
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

# The site from what the notebooks printed when they were executed (by `make bench`
# or by the notebook stage of `make test`): nothing is executed a second time.
html:
	$(BIN)/python -m dlbook.bench --site $(SITE_SRC)
	rm -rf _build/html
	$(BIN)/jupyter-book build --path-output $(CURDIR) $(SITE_SRC)

test: setup data browser
	@$(call timed,lint,$(BIN)/ruff check . && $(BIN)/python -m dlbook.exercises --check)
	@$(MAKE) --no-print-directory unit notebooks site START=$(START)
	@echo; echo "stage times (seconds):"; \
	  awk -v start=$(START) '$$1 == start { printf "  %-10s %5d\n", $$2, $$3; t += $$3 } \
	    END { printf "  %-10s %5d\n", "total", t }' $(TIMES)

unit:
	@$(call timed,unit,$(BIN)/pytest -n 2 -m "not site and not executed")

notebooks:
	@rm -rf _build/executed
	@$(call timed,notebooks,$(BIN)/python -m tests.standalone stage $(STAGE) && \
	  $(PYTEST_NOTEBOOKS) && $(BIN)/pytest -m executed)

site:
	@$(call timed,site,{ $(MAKE) --no-print-directory html > _build/site.log 2>&1 || \
	  { tail -40 _build/site.log; false; }; } && DLBOOK_SITE=_build/html $(BIN)/pytest -n 2 -m site)

lab: data
	$(BIN)/jupyter lab

exercises: setup
	$(BIN)/python -m dlbook.exercises

bench: data
	$(BIN)/python -m dlbook.bench

clean:
	rm -rf _build
