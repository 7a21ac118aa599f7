# Python tools, each in its own project-local venv under .venv/, installed from the pinned
# requirements/<tool>.txt on first use. Caches stay inside the project's ignored .cache/.
PYTHON ?= python3
VENV := .venv

export XDG_CACHE_HOME := $(CURDIR)/.cache
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SAM_CLI_TELEMETRY := 0
export __SAM_CLI_APP_DIR := $(CURDIR)/.cache/sam
export AWS_DEFAULT_REGION ?= us-east-1

# `make .venv/lint/ready` builds the venv from requirements/lint.txt, and again when that file changes.
$(VENV)/%/ready: requirements/%.txt
	rm -rf $(VENV)/$*
	$(PYTHON) -m venv $(VENV)/$*
	$(VENV)/$*/bin/pip install --quiet -r $<
	touch $@

.PHONY: tools
tools: $(VENV)/lint/ready $(VENV)/checkov/ready $(VENV)/sam/ready
